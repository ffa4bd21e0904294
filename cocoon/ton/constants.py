"""Opcodes, exit codes and the money constants of the COCOON contracts and runners (spec 30)."""

from __future__ import annotations

import enum

ONE_TON = 1_000_000_000
"""nano-TON in one TON. Every amount in this package is an integer count of nano-TON."""

# Contract-side constants (utils.fc).
COMMISSION_ESTIMATE = ONE_TON // 10
STORAGE_ESTIMATE = ONE_TON // 100
CLIENT_MIN_RESERVE = COMMISSION_ESTIMATE + STORAGE_ESTIMATE  # client/worker keep at least this
WALLET_MIN_BALANCE = 2 * ONE_TON  # CocoonWallet refuses externals below this (exit 1035)
WORKCHAIN = 0

# Message header flags as the contracts write them (6 bits: int_msg_info, ihr_disabled, bounce,
# bounced, src addr_none).
BOUNCEABLE = 0x18
NON_BOUNCEABLE = 0x10

# Runner-side values (spec 30 section 10.1).
DEPLOY_VALUE_PROXY = 3 * ONE_TON // 10
DEPLOY_VALUE_WORKER = 3 * ONE_TON // 10
DEPLOY_VALUE_CLIENT = 8 * ONE_TON // 10
CLIENT_REGISTER_VALUE = ONE_TON
CLIENT_OP_VALUE = 7 * ONE_TON // 10
PROXY_OP_VALUE = 7 * ONE_TON // 10
WORKER_PAYOUT_VALUE = 5 * ONE_TON // 10
PROXY_WITHDRAW_VALUE = 2 * ONE_TON // 10
PROXY_CLOSE_VALUE = ONE_TON
STATE_COMMIT_VALUE = 1
MIN_WALLET_BALANCE = 21 * ONE_TON // 10  # runners wait for this before starting
WALLET_TRANSFER_RESERVE = ONE_TON // 10  # per transfer, on top of its value
WALLET_MAX_BATCH_VALUE = 1000 * ONE_TON
WALLET_MAX_MESSAGES = 4
WALLET_VALID_FOR = 3600  # seconds; valid_until = now + this
MIN_CLIENT_CHARGE_SUM = ONE_TON
MIN_WORKER_PAYOUT_SUM = 10 * ONE_TON
MIN_PROXY_WITHDRAW = 10 * ONE_TON

MULTIPLIER_ONE = 10_000  # root multipliers are fixed point with this scale
COEFFICIENT_ONE = 1_000  # worker coefficients are in thousandths


class Op(enum.IntEnum):
    """Every opcode of the five contracts (opcodes.fc of the mainnet sources)."""

    # common
    EXCESSES = 0x2565934C
    PAYOUT = 0xC59A7CD3
    DO_NOT_PROCESS = 0x9A1247C0
    PROXY_SAVE_STATE = 0x53109C0F  # runner-only marker inside do_not_process
    TEXT = 0  # a one-byte text command follows

    # root (all from the owner)
    ROOT_ADD_WORKER_TYPE = 0xE34B1C60
    ROOT_DEL_WORKER_TYPE = 0x8D94A79A
    ROOT_ADD_MODEL_TYPE = 0xC146134D
    ROOT_DEL_MODEL_TYPE = 0x92B11C18
    ROOT_ADD_PROXY_TYPE = 0x71860E80
    ROOT_DEL_PROXY_TYPE = 0x3C41D0B2
    ROOT_REGISTER_PROXY = 0x927C7CB5
    ROOT_UNREGISTER_PROXY = 0x6D49EAF2
    ROOT_UPDATE_PROXY = 0x9C7924BA
    ROOT_CHANGE_PRICE = 0xC52ED8D4
    ROOT_CHANGE_PARAMS = 0x022FA189
    ROOT_UPGRADE_CONTRACTS = 0xA2370F61
    ROOT_UPGRADE = 0x11AEFD51
    ROOT_RESET = 0x563C1D96
    ROOT_UPGRADE_FULL = 0x4F7C5789
    ROOT_CHANGE_OWNER = 0xC4A1AE54

    # worker contract -> proxy contract
    WORKER_PROXY_REQUEST = 0x4D725D2C
    WORKER_PROXY_PAYOUT_REQUEST = 0x08E7D036

    # client contract -> proxy contract
    CLIENT_PROXY_REQUEST = 0x65448FF4
    CLIENT_PROXY_TOP_UP = 0x5CFC6B87
    CLIENT_PROXY_REGISTER = 0xA35CB580
    CLIENT_PROXY_REFUND_GRANTED = 0xC68EBC7B
    CLIENT_PROXY_REFUND_FORCE = 0xF4C354C9

    # proxy control
    EXT_PROXY_INCREASE_STAKE = 0x9713F187
    EXT_PROXY_PAYOUT_REQUEST = 0x7610E6EB
    OWNER_PROXY_CLOSE = 0xB51D5A01
    EXT_PROXY_CLOSE_REQUEST_SIGNED = 0x636A4391
    EXT_PROXY_CLOSE_COMPLETE_REQUEST_SIGNED = 0xE511ABC7

    # worker control
    EXT_WORKER_PAYOUT_REQUEST_SIGNED = 0xA040AD28
    EXT_WORKER_LAST_PAYOUT_REQUEST_SIGNED = 0xF5F26A36
    OWNER_WORKER_REGISTER = 0x26ED7F65

    # client control
    EXT_CLIENT_TOP_UP = 0xF172E6C2
    EXT_CLIENT_CHARGE_SIGNED = 0xBB63FF93
    EXT_CLIENT_GRANT_REFUND_SIGNED = 0xEFD711E1
    OWNER_CLIENT_TOP_UP_REOPEN = 0x29111CEB
    OWNER_CLIENT_REGISTER = 0xC45F9F3B
    OWNER_CLIENT_CHANGE_SECRET_HASH = 0xA9357034
    OWNER_CLIENT_CHANGE_SECRET_HASH_AND_TOP_UP = 0x8473B408
    OWNER_CLIENT_REQUEST_REFUND = 0xFAFA6CC1
    OWNER_CLIENT_INCREASE_STAKE = 0x6A1F6A60
    OWNER_CLIENT_WITHDRAW = 0xDA068E78

    # wallet control
    OWNER_WALLET_SEND_MESSAGE = 0x9C69F376


class ExitCode(enum.IntEnum):
    """Exit codes the contracts throw (opcodes.fc, wallet disassembly) and the TVM ones we model."""

    COMPUTE_SKIPPED = -1  # no compute phase: no code to run (an uninitialized account)
    NO_GAS = -2  # no compute phase: the message's value buys no gas (TON's cskip_no_gas)
    OUT_OF_GAS = -14  # TVM: the handler needs more gas than the message's value buys
    OK = 0
    RANGE_CHECK = 5  # TVM: integer out of range (e.g. a negative reserve)
    CELL_UNDERFLOW = 9  # TVM: read past the end of a cell, or extra data at end_parse
    METHOD_NOT_FOUND = 11  # TVM: no such get-method
    NOT_ENOUGH_BALANCE = 37  # action phase: a message or reserve exceeds the balance
    INVALID_OUTBOUND_MESSAGE = 34  # action phase: a message that does not parse, send mode +4/+8
    INVALID_SOURCE = 35  # action phase: a raw message whose src is another account
    INVALID_DESTINATION = 36  # action phase: not a std address

    OLD_MESSAGE = 1000
    LOW_SMC_BALANCE = 1001
    LOW_BALANCE = 1002
    LOW_MSG_VALUE = 1003
    MSG_FORMAT_MISMATCH = 1004
    SIGNED_MSG_FORMAT_MISMATCH = 1005
    CLOSED = 1006
    BAD_SIGNATURE = 1007
    STORED_DATA_DAMAGED = 1008
    EXPECTED_OWNER = 1009
    EXPECTED_MESSAGE_FROM_OWNER = 1010
    NOT_UNLOCKED_YET = 1011
    UNKNOWN_OP = 1012
    UNKNOWN_TEXT_OP = 1013
    CONTRACT_ADDRESS_MISMATCH = 1014
    EXPECTED_MY_ADDRESS = 1015
    UNKNOWN_PROXY_TYPE = 2000

    WALLET_EXPIRED = 1030
    WALLET_BLOCKED = 1031
    WALLET_BAD_SEQNO = 1032
    WALLET_BAD_SUBWALLET = 1033
    WALLET_BAD_SIGNATURE = 1034
    WALLET_LOW_BALANCE = 1035
    WALLET_NOT_FROM_OWNER = 1040
    WALLET_BAD_OP = 1041


class ContractState(enum.IntEnum):
    """The u2 `state` field of proxy, client and worker contracts (worker has no CLOSING)."""

    NORMAL = 0
    CLOSING = 1
    CLOSED = 2
