"""Generated from cocoon/tl/schema.tl by `python -m cocoon.tl generate`. Do not edit."""

# ruff: noqa: E501
from __future__ import annotations

from typing import ClassVar

import attrs

from cocoon.tl.codec import BY_ID, FieldSpec, FlagGroups, Reader, TLObject, Writer, resolve_flags
from cocoon.tl.errors import TLDecodeError


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpPing(TLObject):
    """TL constructor `tcp.ping id:long = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.ping'
    TL_ID: ClassVar[int] = 0xbbe9627c
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None),)

    id: int

    def _write(self, w: Writer) -> None:
        w.long(self.id)

    @classmethod
    def _read(cls, r: Reader) -> TcpPing:
        try:
            f_id = r.long()
            return cls(id=f_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.ping'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpPong(TLObject):
    """TL constructor `tcp.pong id:long = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.pong'
    TL_ID: ClassVar[int] = 0x0bd4302c
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None),)

    id: int

    def _write(self, w: Writer) -> None:
        w.long(self.id)

    @classmethod
    def _read(cls, r: Reader) -> TcpPong:
        try:
            f_id = r.long()
            return cls(id=f_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.pong'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpPacket(TLObject):
    """TL constructor `tcp.packet data:bytes = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.packet'
    TL_ID: ClassVar[int] = 0x9c17baf8
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('data', 'bytes', None, None),)

    data: bytes

    def _write(self, w: Writer) -> None:
        w.bytes(self.data)

    @classmethod
    def _read(cls, r: Reader) -> TcpPacket:
        try:
            f_data = r.bytes()
            return cls(data=f_data)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.packet'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpQueryAnswer(TLObject):
    """TL constructor `tcp.queryAnswer id:long data:bytes = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.queryAnswer'
    TL_ID: ClassVar[int] = 0xc048c311
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None), ('data', 'bytes', None, None))

    id: int
    data: bytes

    def _write(self, w: Writer) -> None:
        w.long(self.id)
        w.bytes(self.data)

    @classmethod
    def _read(cls, r: Reader) -> TcpQueryAnswer:
        try:
            f_id = r.long()
            f_data = r.bytes()
            return cls(id=f_id, data=f_data)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.queryAnswer'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpQueryError(TLObject):
    """TL constructor `tcp.queryError id:long code:int message:string = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.queryError'
    TL_ID: ClassVar[int] = 0x4cd2f602
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None), ('code', 'int', None, None), ('message', 'string', None, None))

    id: int
    code: int
    message: str

    def _write(self, w: Writer) -> None:
        w.long(self.id)
        w.int(self.code)
        w.string(self.message)

    @classmethod
    def _read(cls, r: Reader) -> TcpQueryError:
        try:
            f_id = r.long()
            f_code = r.int()
            f_message = r.string()
            return cls(id=f_id, code=f_code, message=f_message)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.queryError'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpQuery(TLObject):
    """TL constructor `tcp.query id:long data:bytes = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.query'
    TL_ID: ClassVar[int] = 0x3af51908
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None), ('data', 'bytes', None, None))

    id: int
    data: bytes

    def _write(self, w: Writer) -> None:
        w.long(self.id)
        w.bytes(self.data)

    @classmethod
    def _read(cls, r: Reader) -> TcpQuery:
        try:
            f_id = r.long()
            f_data = r.bytes()
            return cls(id=f_id, data=f_data)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.query'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpConnected(TLObject):
    """TL constructor `tcp.connected id:long = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.connected'
    TL_ID: ClassVar[int] = 0x636d41d6
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None),)

    id: int

    def _write(self, w: Writer) -> None:
        w.long(self.id)

    @classmethod
    def _read(cls, r: Reader) -> TcpConnected:
        try:
            f_id = r.long()
            return cls(id=f_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.connected'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TcpConnect(TLObject):
    """TL constructor `tcp.connect id:long = tcp.Packet`."""

    TL_NAME: ClassVar[str] = 'tcp.connect'
    TL_ID: ClassVar[int] = 0xa57c4261
    TL_TYPE: ClassVar[str] = 'tcp.Packet'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None),)

    id: int

    def _write(self, w: Writer) -> None:
        w.long(self.id)

    @classmethod
    def _read(cls, r: Reader) -> TcpConnect:
        try:
            f_id = r.long()
            return cls(id=f_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tcp.connect'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TonBlockIdExt(TLObject):
    """TL constructor `ton.blockIdExt workchain:int shard:long seqno:int root_hash:bytes file_hash:bytes = ton.BlockIdExt`."""

    TL_NAME: ClassVar[str] = 'ton.blockIdExt'
    TL_ID: ClassVar[int] = 0xbc3f6da5
    TL_TYPE: ClassVar[str] = 'ton.BlockIdExt'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('workchain', 'int', None, None), ('shard', 'long', None, None), ('seqno', 'int', None, None), ('root_hash', 'bytes', None, None), ('file_hash', 'bytes', None, None))

    workchain: int
    shard: int
    seqno: int
    root_hash: bytes
    file_hash: bytes

    def _write(self, w: Writer) -> None:
        w.int(self.workchain)
        w.long(self.shard)
        w.int(self.seqno)
        w.bytes(self.root_hash)
        w.bytes(self.file_hash)

    @classmethod
    def _read(cls, r: Reader) -> TonBlockIdExt:
        try:
            f_workchain = r.int()
            f_shard = r.long()
            f_seqno = r.int()
            f_root_hash = r.bytes()
            f_file_hash = r.bytes()
            return cls(workchain=f_workchain, shard=f_shard, seqno=f_seqno, root_hash=f_root_hash, file_hash=f_file_hash)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'ton.blockIdExt'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TestAnswer(TLObject):
    """TL constructor `test.answer id:long = test.Answer`."""

    TL_NAME: ClassVar[str] = 'test.answer'
    TL_ID: ClassVar[int] = 0x0d4fcdb6
    TL_TYPE: ClassVar[str] = 'test.Answer'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None),)

    id: int

    def _write(self, w: Writer) -> None:
        w.long(self.id)

    @classmethod
    def _read(cls, r: Reader) -> TestAnswer:
        try:
            f_id = r.long()
            return cls(id=f_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'test.answer'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TestQuery(TLObject):
    """TL function `test.query id:long = test.Answer`."""

    TL_NAME: ClassVar[str] = 'test.query'
    TL_ID: ClassVar[int] = 0x394e9143
    TL_TYPE: ClassVar[str] = 'test.Answer'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('id', 'long', None, None),)

    id: int

    def _write(self, w: Writer) -> None:
        w.long(self.id)

    @classmethod
    def _read(cls, r: Reader) -> TestQuery:
        try:
            f_id = r.long()
            return cls(id=f_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'test.query'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyRunnerConfig(TLObject):
    """TL constructor `proxyRunner.config is_test:Bool is_testnet:Bool workers_rpc_port:int client_rpc_port:int http_port:int owner_address:string root_contract_address:string machine_specific_private_key:int256 node_wallet_key:int256 ton_config_filename:string db_path:string check_worker_hashes:Bool image_hash:int256 http_access_hash:string = proxyRunner.Config`."""

    TL_NAME: ClassVar[str] = 'proxyRunner.config'
    TL_ID: ClassVar[int] = 0x5bf5e272
    TL_TYPE: ClassVar[str] = 'proxyRunner.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('is_test', 'Bool', None, None), ('is_testnet', 'Bool', None, None), ('workers_rpc_port', 'int', None, None), ('client_rpc_port', 'int', None, None), ('http_port', 'int', None, None), ('owner_address', 'string', None, None), ('root_contract_address', 'string', None, None), ('machine_specific_private_key', 'int256', None, None), ('node_wallet_key', 'int256', None, None), ('ton_config_filename', 'string', None, None), ('db_path', 'string', None, None), ('check_worker_hashes', 'Bool', None, None), ('image_hash', 'int256', None, None), ('http_access_hash', 'string', None, None))

    is_test: bool
    is_testnet: bool
    workers_rpc_port: int
    client_rpc_port: int
    http_port: int
    owner_address: str
    root_contract_address: str
    machine_specific_private_key: bytes
    node_wallet_key: bytes
    ton_config_filename: str
    db_path: str
    check_worker_hashes: bool
    image_hash: bytes
    http_access_hash: str

    def _write(self, w: Writer) -> None:
        w.bool(self.is_test)
        w.bool(self.is_testnet)
        w.int(self.workers_rpc_port)
        w.int(self.client_rpc_port)
        w.int(self.http_port)
        w.string(self.owner_address)
        w.string(self.root_contract_address)
        w.raw(self.machine_specific_private_key, 32)
        w.raw(self.node_wallet_key, 32)
        w.string(self.ton_config_filename)
        w.string(self.db_path)
        w.bool(self.check_worker_hashes)
        w.raw(self.image_hash, 32)
        w.string(self.http_access_hash)

    @classmethod
    def _read(cls, r: Reader) -> ProxyRunnerConfig:
        try:
            f_is_test = r.bool()
            f_is_testnet = r.bool()
            f_workers_rpc_port = r.int()
            f_client_rpc_port = r.int()
            f_http_port = r.int()
            f_owner_address = r.string()
            f_root_contract_address = r.string()
            f_machine_specific_private_key = r.raw(32)
            f_node_wallet_key = r.raw(32)
            f_ton_config_filename = r.string()
            f_db_path = r.string()
            f_check_worker_hashes = r.bool()
            f_image_hash = r.raw(32)
            f_http_access_hash = r.string()
            return cls(is_test=f_is_test, is_testnet=f_is_testnet, workers_rpc_port=f_workers_rpc_port, client_rpc_port=f_client_rpc_port, http_port=f_http_port, owner_address=f_owner_address, root_contract_address=f_root_contract_address, machine_specific_private_key=f_machine_specific_private_key, node_wallet_key=f_node_wallet_key, ton_config_filename=f_ton_config_filename, db_path=f_db_path, check_worker_hashes=f_check_worker_hashes, image_hash=f_image_hash, http_access_hash=f_http_access_hash)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyRunner.config'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerRunnerConfig(TLObject):
    """TL constructor `workerRunner.config is_test:Bool is_testnet:Bool http_port:int owner_address:string proxy_connections:int connect_to_proxy_via:string model_name:string coefficient:int root_contract_address:string node_wallet_key:int256 forward_requests_to:string ton_config_filename:string check_proxy_hashes:Bool max_active_requests:int image_hash:int256 http_access_hash:string = workerRunner.Config`."""

    TL_NAME: ClassVar[str] = 'workerRunner.config'
    TL_ID: ClassVar[int] = 0x870db56d
    TL_TYPE: ClassVar[str] = 'workerRunner.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('is_test', 'Bool', None, None), ('is_testnet', 'Bool', None, None), ('http_port', 'int', None, None), ('owner_address', 'string', None, None), ('proxy_connections', 'int', None, None), ('connect_to_proxy_via', 'string', None, None), ('model_name', 'string', None, None), ('coefficient', 'int', None, None), ('root_contract_address', 'string', None, None), ('node_wallet_key', 'int256', None, None), ('forward_requests_to', 'string', None, None), ('ton_config_filename', 'string', None, None), ('check_proxy_hashes', 'Bool', None, None), ('max_active_requests', 'int', None, None), ('image_hash', 'int256', None, None), ('http_access_hash', 'string', None, None))

    is_test: bool
    is_testnet: bool
    http_port: int
    owner_address: str
    proxy_connections: int
    connect_to_proxy_via: str
    model_name: str
    coefficient: int
    root_contract_address: str
    node_wallet_key: bytes
    forward_requests_to: str
    ton_config_filename: str
    check_proxy_hashes: bool
    max_active_requests: int
    image_hash: bytes
    http_access_hash: str

    def _write(self, w: Writer) -> None:
        w.bool(self.is_test)
        w.bool(self.is_testnet)
        w.int(self.http_port)
        w.string(self.owner_address)
        w.int(self.proxy_connections)
        w.string(self.connect_to_proxy_via)
        w.string(self.model_name)
        w.int(self.coefficient)
        w.string(self.root_contract_address)
        w.raw(self.node_wallet_key, 32)
        w.string(self.forward_requests_to)
        w.string(self.ton_config_filename)
        w.bool(self.check_proxy_hashes)
        w.int(self.max_active_requests)
        w.raw(self.image_hash, 32)
        w.string(self.http_access_hash)

    @classmethod
    def _read(cls, r: Reader) -> WorkerRunnerConfig:
        try:
            f_is_test = r.bool()
            f_is_testnet = r.bool()
            f_http_port = r.int()
            f_owner_address = r.string()
            f_proxy_connections = r.int()
            f_connect_to_proxy_via = r.string()
            f_model_name = r.string()
            f_coefficient = r.int()
            f_root_contract_address = r.string()
            f_node_wallet_key = r.raw(32)
            f_forward_requests_to = r.string()
            f_ton_config_filename = r.string()
            f_check_proxy_hashes = r.bool()
            f_max_active_requests = r.int()
            f_image_hash = r.raw(32)
            f_http_access_hash = r.string()
            return cls(is_test=f_is_test, is_testnet=f_is_testnet, http_port=f_http_port, owner_address=f_owner_address, proxy_connections=f_proxy_connections, connect_to_proxy_via=f_connect_to_proxy_via, model_name=f_model_name, coefficient=f_coefficient, root_contract_address=f_root_contract_address, node_wallet_key=f_node_wallet_key, forward_requests_to=f_forward_requests_to, ton_config_filename=f_ton_config_filename, check_proxy_hashes=f_check_proxy_hashes, max_active_requests=f_max_active_requests, image_hash=f_image_hash, http_access_hash=f_http_access_hash)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'workerRunner.config'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientRunnerConfig(TLObject):
    """TL constructor `clientRunner.config is_test:Bool is_testnet:Bool http_port:int owner_address:string proxy_connections:int connect_to_proxy_via:string root_contract_address:string node_wallet_key:int256 check_proxy_hashes:Bool secret_string:string ton_config_filename:string http_access_hash:string = clientRunner.Config`."""

    TL_NAME: ClassVar[str] = 'clientRunner.config'
    TL_ID: ClassVar[int] = 0xaf0bd51f
    TL_TYPE: ClassVar[str] = 'clientRunner.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('is_test', 'Bool', None, None), ('is_testnet', 'Bool', None, None), ('http_port', 'int', None, None), ('owner_address', 'string', None, None), ('proxy_connections', 'int', None, None), ('connect_to_proxy_via', 'string', None, None), ('root_contract_address', 'string', None, None), ('node_wallet_key', 'int256', None, None), ('check_proxy_hashes', 'Bool', None, None), ('secret_string', 'string', None, None), ('ton_config_filename', 'string', None, None), ('http_access_hash', 'string', None, None))

    is_test: bool
    is_testnet: bool
    http_port: int
    owner_address: str
    proxy_connections: int
    connect_to_proxy_via: str
    root_contract_address: str
    node_wallet_key: bytes
    check_proxy_hashes: bool
    secret_string: str
    ton_config_filename: str
    http_access_hash: str

    def _write(self, w: Writer) -> None:
        w.bool(self.is_test)
        w.bool(self.is_testnet)
        w.int(self.http_port)
        w.string(self.owner_address)
        w.int(self.proxy_connections)
        w.string(self.connect_to_proxy_via)
        w.string(self.root_contract_address)
        w.raw(self.node_wallet_key, 32)
        w.bool(self.check_proxy_hashes)
        w.string(self.secret_string)
        w.string(self.ton_config_filename)
        w.string(self.http_access_hash)

    @classmethod
    def _read(cls, r: Reader) -> ClientRunnerConfig:
        try:
            f_is_test = r.bool()
            f_is_testnet = r.bool()
            f_http_port = r.int()
            f_owner_address = r.string()
            f_proxy_connections = r.int()
            f_connect_to_proxy_via = r.string()
            f_root_contract_address = r.string()
            f_node_wallet_key = r.raw(32)
            f_check_proxy_hashes = r.bool()
            f_secret_string = r.string()
            f_ton_config_filename = r.string()
            f_http_access_hash = r.string()
            return cls(is_test=f_is_test, is_testnet=f_is_testnet, http_port=f_http_port, owner_address=f_owner_address, proxy_connections=f_proxy_connections, connect_to_proxy_via=f_connect_to_proxy_via, root_contract_address=f_root_contract_address, node_wallet_key=f_node_wallet_key, check_proxy_hashes=f_check_proxy_hashes, secret_string=f_secret_string, ton_config_filename=f_ton_config_filename, http_access_hash=f_http_access_hash)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'clientRunner.config'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyStorageRunnerConfig(TLObject):
    """TL constructor `keyStorageRunner.config is_test:Bool is_testnet:Bool rpc_port:int http_port:int root_contract_address:string machine_specific_private_key:int256 ton_config_filename:string db_path:string check_hashes:Bool image_hash:int256 http_access_hash:string = keyStorageRunner.Config`."""

    TL_NAME: ClassVar[str] = 'keyStorageRunner.config'
    TL_ID: ClassVar[int] = 0xd7874e40
    TL_TYPE: ClassVar[str] = 'keyStorageRunner.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('is_test', 'Bool', None, None), ('is_testnet', 'Bool', None, None), ('rpc_port', 'int', None, None), ('http_port', 'int', None, None), ('root_contract_address', 'string', None, None), ('machine_specific_private_key', 'int256', None, None), ('ton_config_filename', 'string', None, None), ('db_path', 'string', None, None), ('check_hashes', 'Bool', None, None), ('image_hash', 'int256', None, None), ('http_access_hash', 'string', None, None))

    is_test: bool
    is_testnet: bool
    rpc_port: int
    http_port: int
    root_contract_address: str
    machine_specific_private_key: bytes
    ton_config_filename: str
    db_path: str
    check_hashes: bool
    image_hash: bytes
    http_access_hash: str

    def _write(self, w: Writer) -> None:
        w.bool(self.is_test)
        w.bool(self.is_testnet)
        w.int(self.rpc_port)
        w.int(self.http_port)
        w.string(self.root_contract_address)
        w.raw(self.machine_specific_private_key, 32)
        w.string(self.ton_config_filename)
        w.string(self.db_path)
        w.bool(self.check_hashes)
        w.raw(self.image_hash, 32)
        w.string(self.http_access_hash)

    @classmethod
    def _read(cls, r: Reader) -> KeyStorageRunnerConfig:
        try:
            f_is_test = r.bool()
            f_is_testnet = r.bool()
            f_rpc_port = r.int()
            f_http_port = r.int()
            f_root_contract_address = r.string()
            f_machine_specific_private_key = r.raw(32)
            f_ton_config_filename = r.string()
            f_db_path = r.string()
            f_check_hashes = r.bool()
            f_image_hash = r.raw(32)
            f_http_access_hash = r.string()
            return cls(is_test=f_is_test, is_testnet=f_is_testnet, rpc_port=f_rpc_port, http_port=f_http_port, root_contract_address=f_root_contract_address, machine_specific_private_key=f_machine_specific_private_key, ton_config_filename=f_ton_config_filename, db_path=f_db_path, check_hashes=f_check_hashes, image_hash=f_image_hash, http_access_hash=f_http_access_hash)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyStorageRunner.config'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RootConfigRegisteredProxy(TLObject):
    """TL constructor `rootConfig.registeredProxy seqno:int address:string = rootConfig.RegisteredProxy`."""

    TL_NAME: ClassVar[str] = 'rootConfig.registeredProxy'
    TL_ID: ClassVar[int] = 0x9f4e446a
    TL_TYPE: ClassVar[str] = 'rootConfig.RegisteredProxy'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('seqno', 'int', None, None), ('address', 'string', None, None))

    seqno: int
    address: str

    def _write(self, w: Writer) -> None:
        w.int(self.seqno)
        w.string(self.address)

    @classmethod
    def _read(cls, r: Reader) -> RootConfigRegisteredProxy:
        try:
            f_seqno = r.int()
            f_address = r.string()
            return cls(seqno=f_seqno, address=f_address)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'rootConfig.registeredProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RootConfigPseudo(TLObject):
    """TL constructor `rootConfig.pseudo proxy_hashes:vector int256 worker_hashes:vector int256 model_hashes:vector int256 model_types:vector string registered_proxies:vector rootConfig.registeredProxy price_per_token:int worker_fee_per_token:int last_proxy_seqno:int version:int params_version:int proxy_sc_code:string worker_sc_code:string client_sc_code:string root_owner_address:string = rootConfig.Config`."""

    TL_NAME: ClassVar[str] = 'rootConfig.pseudo'
    TL_ID: ClassVar[int] = 0x87a976cc
    TL_TYPE: ClassVar[str] = 'rootConfig.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('proxy_hashes', 'vector int256', None, None), ('worker_hashes', 'vector int256', None, None), ('model_hashes', 'vector int256', None, None), ('model_types', 'vector string', None, None), ('registered_proxies', 'vector rootConfig.registeredProxy', None, None), ('price_per_token', 'int', None, None), ('worker_fee_per_token', 'int', None, None), ('last_proxy_seqno', 'int', None, None), ('version', 'int', None, None), ('params_version', 'int', None, None), ('proxy_sc_code', 'string', None, None), ('worker_sc_code', 'string', None, None), ('client_sc_code', 'string', None, None), ('root_owner_address', 'string', None, None))

    proxy_hashes: tuple[bytes, ...] = attrs.field(converter=tuple)
    worker_hashes: tuple[bytes, ...] = attrs.field(converter=tuple)
    model_hashes: tuple[bytes, ...] = attrs.field(converter=tuple)
    model_types: tuple[str, ...] = attrs.field(converter=tuple)
    registered_proxies: tuple[RootConfigRegisteredProxy, ...] = attrs.field(converter=tuple)
    price_per_token: int
    worker_fee_per_token: int
    last_proxy_seqno: int
    version: int
    params_version: int
    proxy_sc_code: str
    worker_sc_code: str
    client_sc_code: str
    root_owner_address: str

    def _write(self, w: Writer) -> None:
        w.uint(len(self.proxy_hashes))
        for item in self.proxy_hashes:
            w.raw(item, 32)
        w.uint(len(self.worker_hashes))
        for item in self.worker_hashes:
            w.raw(item, 32)
        w.uint(len(self.model_hashes))
        for item in self.model_hashes:
            w.raw(item, 32)
        w.uint(len(self.model_types))
        for item in self.model_types:
            w.string(item)
        w.uint(len(self.registered_proxies))
        for item in self.registered_proxies:
            w.bare(item, RootConfigRegisteredProxy)
        w.int(self.price_per_token)
        w.int(self.worker_fee_per_token)
        w.int(self.last_proxy_seqno)
        w.int(self.version)
        w.int(self.params_version)
        w.string(self.proxy_sc_code)
        w.string(self.worker_sc_code)
        w.string(self.client_sc_code)
        w.string(self.root_owner_address)

    @classmethod
    def _read(cls, r: Reader) -> RootConfigPseudo:
        try:
            f_proxy_hashes = tuple([r.raw(32) for _ in range(r.vector_count(32))])
            f_worker_hashes = tuple([r.raw(32) for _ in range(r.vector_count(32))])
            f_model_hashes = tuple([r.raw(32) for _ in range(r.vector_count(32))])
            f_model_types = tuple([r.string() for _ in range(r.vector_count(4))])
            f_registered_proxies = tuple([RootConfigRegisteredProxy._read(r) for _ in range(r.vector_count(8))])
            f_price_per_token = r.int()
            f_worker_fee_per_token = r.int()
            f_last_proxy_seqno = r.int()
            f_version = r.int()
            f_params_version = r.int()
            f_proxy_sc_code = r.string()
            f_worker_sc_code = r.string()
            f_client_sc_code = r.string()
            f_root_owner_address = r.string()
            return cls(proxy_hashes=f_proxy_hashes, worker_hashes=f_worker_hashes, model_hashes=f_model_hashes, model_types=f_model_types, registered_proxies=f_registered_proxies, price_per_token=f_price_per_token, worker_fee_per_token=f_worker_fee_per_token, last_proxy_seqno=f_last_proxy_seqno, version=f_version, params_version=f_params_version, proxy_sc_code=f_proxy_sc_code, worker_sc_code=f_worker_sc_code, client_sc_code=f_client_sc_code, root_owner_address=f_root_owner_address)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'rootConfig.pseudo'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RootConfigConfigV5(TLObject):
    """TL constructor `rootConfig.configV5 root_owner_address:string proxy_hashes:vector int256 registered_proxies:vector rootConfig.registeredProxy last_proxy_seqno:int worker_hashes:vector int256 model_hashes:vector int256 version:int struct_version:int params_version:int unique_id:int is_test:int price_per_token:long worker_fee_per_token:long prompt_tokens_price_multiplier:int cached_tokens_price_multiplier:int completion_tokens_price_multiplier:int reasoning_tokens_price_multiplier:int proxy_delay_before_close:int client_delay_before_close:int min_proxy_stake:long min_client_stake:long proxy_sc_code:string worker_sc_code:string client_sc_code:string = rootConfig.Config`."""

    TL_NAME: ClassVar[str] = 'rootConfig.configV5'
    TL_ID: ClassVar[int] = 0x5e84869b
    TL_TYPE: ClassVar[str] = 'rootConfig.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('root_owner_address', 'string', None, None), ('proxy_hashes', 'vector int256', None, None), ('registered_proxies', 'vector rootConfig.registeredProxy', None, None), ('last_proxy_seqno', 'int', None, None), ('worker_hashes', 'vector int256', None, None), ('model_hashes', 'vector int256', None, None), ('version', 'int', None, None), ('struct_version', 'int', None, None), ('params_version', 'int', None, None), ('unique_id', 'int', None, None), ('is_test', 'int', None, None), ('price_per_token', 'long', None, None), ('worker_fee_per_token', 'long', None, None), ('prompt_tokens_price_multiplier', 'int', None, None), ('cached_tokens_price_multiplier', 'int', None, None), ('completion_tokens_price_multiplier', 'int', None, None), ('reasoning_tokens_price_multiplier', 'int', None, None), ('proxy_delay_before_close', 'int', None, None), ('client_delay_before_close', 'int', None, None), ('min_proxy_stake', 'long', None, None), ('min_client_stake', 'long', None, None), ('proxy_sc_code', 'string', None, None), ('worker_sc_code', 'string', None, None), ('client_sc_code', 'string', None, None))

    root_owner_address: str
    proxy_hashes: tuple[bytes, ...] = attrs.field(converter=tuple)
    registered_proxies: tuple[RootConfigRegisteredProxy, ...] = attrs.field(converter=tuple)
    last_proxy_seqno: int
    worker_hashes: tuple[bytes, ...] = attrs.field(converter=tuple)
    model_hashes: tuple[bytes, ...] = attrs.field(converter=tuple)
    version: int
    struct_version: int
    params_version: int
    unique_id: int
    is_test: int
    price_per_token: int
    worker_fee_per_token: int
    prompt_tokens_price_multiplier: int
    cached_tokens_price_multiplier: int
    completion_tokens_price_multiplier: int
    reasoning_tokens_price_multiplier: int
    proxy_delay_before_close: int
    client_delay_before_close: int
    min_proxy_stake: int
    min_client_stake: int
    proxy_sc_code: str
    worker_sc_code: str
    client_sc_code: str

    def _write(self, w: Writer) -> None:
        w.string(self.root_owner_address)
        w.uint(len(self.proxy_hashes))
        for item in self.proxy_hashes:
            w.raw(item, 32)
        w.uint(len(self.registered_proxies))
        for item in self.registered_proxies:
            w.bare(item, RootConfigRegisteredProxy)
        w.int(self.last_proxy_seqno)
        w.uint(len(self.worker_hashes))
        for item in self.worker_hashes:
            w.raw(item, 32)
        w.uint(len(self.model_hashes))
        for item in self.model_hashes:
            w.raw(item, 32)
        w.int(self.version)
        w.int(self.struct_version)
        w.int(self.params_version)
        w.int(self.unique_id)
        w.int(self.is_test)
        w.long(self.price_per_token)
        w.long(self.worker_fee_per_token)
        w.int(self.prompt_tokens_price_multiplier)
        w.int(self.cached_tokens_price_multiplier)
        w.int(self.completion_tokens_price_multiplier)
        w.int(self.reasoning_tokens_price_multiplier)
        w.int(self.proxy_delay_before_close)
        w.int(self.client_delay_before_close)
        w.long(self.min_proxy_stake)
        w.long(self.min_client_stake)
        w.string(self.proxy_sc_code)
        w.string(self.worker_sc_code)
        w.string(self.client_sc_code)

    @classmethod
    def _read(cls, r: Reader) -> RootConfigConfigV5:
        try:
            f_root_owner_address = r.string()
            f_proxy_hashes = tuple([r.raw(32) for _ in range(r.vector_count(32))])
            f_registered_proxies = tuple([RootConfigRegisteredProxy._read(r) for _ in range(r.vector_count(8))])
            f_last_proxy_seqno = r.int()
            f_worker_hashes = tuple([r.raw(32) for _ in range(r.vector_count(32))])
            f_model_hashes = tuple([r.raw(32) for _ in range(r.vector_count(32))])
            f_version = r.int()
            f_struct_version = r.int()
            f_params_version = r.int()
            f_unique_id = r.int()
            f_is_test = r.int()
            f_price_per_token = r.long()
            f_worker_fee_per_token = r.long()
            f_prompt_tokens_price_multiplier = r.int()
            f_cached_tokens_price_multiplier = r.int()
            f_completion_tokens_price_multiplier = r.int()
            f_reasoning_tokens_price_multiplier = r.int()
            f_proxy_delay_before_close = r.int()
            f_client_delay_before_close = r.int()
            f_min_proxy_stake = r.long()
            f_min_client_stake = r.long()
            f_proxy_sc_code = r.string()
            f_worker_sc_code = r.string()
            f_client_sc_code = r.string()
            return cls(root_owner_address=f_root_owner_address, proxy_hashes=f_proxy_hashes, registered_proxies=f_registered_proxies, last_proxy_seqno=f_last_proxy_seqno, worker_hashes=f_worker_hashes, model_hashes=f_model_hashes, version=f_version, struct_version=f_struct_version, params_version=f_params_version, unique_id=f_unique_id, is_test=f_is_test, price_per_token=f_price_per_token, worker_fee_per_token=f_worker_fee_per_token, prompt_tokens_price_multiplier=f_prompt_tokens_price_multiplier, cached_tokens_price_multiplier=f_cached_tokens_price_multiplier, completion_tokens_price_multiplier=f_completion_tokens_price_multiplier, reasoning_tokens_price_multiplier=f_reasoning_tokens_price_multiplier, proxy_delay_before_close=f_proxy_delay_before_close, client_delay_before_close=f_client_delay_before_close, min_proxy_stake=f_min_proxy_stake, min_client_stake=f_min_client_stake, proxy_sc_code=f_proxy_sc_code, worker_sc_code=f_worker_sc_code, client_sc_code=f_client_sc_code)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'rootConfig.configV5'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbClientInfo(TLObject):
    """TL constructor `proxyDb.clientInfo owner_address:string sc_address:string status:int balance:long sc_tokens_used:long tokens_used:long secret_hash:int256 last_request_at:int = proxyDb.ClientInfo`."""

    TL_NAME: ClassVar[str] = 'proxyDb.clientInfo'
    TL_ID: ClassVar[int] = 0x6cfeaa21
    TL_TYPE: ClassVar[str] = 'proxyDb.ClientInfo'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('owner_address', 'string', None, None), ('sc_address', 'string', None, None), ('status', 'int', None, None), ('balance', 'long', None, None), ('sc_tokens_used', 'long', None, None), ('tokens_used', 'long', None, None), ('secret_hash', 'int256', None, None), ('last_request_at', 'int', None, None))

    owner_address: str
    sc_address: str
    status: int
    balance: int
    sc_tokens_used: int
    tokens_used: int
    secret_hash: bytes
    last_request_at: int

    def _write(self, w: Writer) -> None:
        w.string(self.owner_address)
        w.string(self.sc_address)
        w.int(self.status)
        w.long(self.balance)
        w.long(self.sc_tokens_used)
        w.long(self.tokens_used)
        w.raw(self.secret_hash, 32)
        w.int(self.last_request_at)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbClientInfo:
        try:
            f_owner_address = r.string()
            f_sc_address = r.string()
            f_status = r.int()
            f_balance = r.long()
            f_sc_tokens_used = r.long()
            f_tokens_used = r.long()
            f_secret_hash = r.raw(32)
            f_last_request_at = r.int()
            return cls(owner_address=f_owner_address, sc_address=f_sc_address, status=f_status, balance=f_balance, sc_tokens_used=f_sc_tokens_used, tokens_used=f_tokens_used, secret_hash=f_secret_hash, last_request_at=f_last_request_at)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.clientInfo'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbClientInfoV2(TLObject):
    """TL constructor `proxyDb.clientInfoV2 owner_address:string sc_address:string status:int balance:long stake:long sc_tokens_used:long tokens_used:long secret_hash:int256 last_request_at:int = proxyDb.ClientInfo`."""

    TL_NAME: ClassVar[str] = 'proxyDb.clientInfoV2'
    TL_ID: ClassVar[int] = 0x3078c9bf
    TL_TYPE: ClassVar[str] = 'proxyDb.ClientInfo'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('owner_address', 'string', None, None), ('sc_address', 'string', None, None), ('status', 'int', None, None), ('balance', 'long', None, None), ('stake', 'long', None, None), ('sc_tokens_used', 'long', None, None), ('tokens_used', 'long', None, None), ('secret_hash', 'int256', None, None), ('last_request_at', 'int', None, None))

    owner_address: str
    sc_address: str
    status: int
    balance: int
    stake: int
    sc_tokens_used: int
    tokens_used: int
    secret_hash: bytes
    last_request_at: int

    def _write(self, w: Writer) -> None:
        w.string(self.owner_address)
        w.string(self.sc_address)
        w.int(self.status)
        w.long(self.balance)
        w.long(self.stake)
        w.long(self.sc_tokens_used)
        w.long(self.tokens_used)
        w.raw(self.secret_hash, 32)
        w.int(self.last_request_at)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbClientInfoV2:
        try:
            f_owner_address = r.string()
            f_sc_address = r.string()
            f_status = r.int()
            f_balance = r.long()
            f_stake = r.long()
            f_sc_tokens_used = r.long()
            f_tokens_used = r.long()
            f_secret_hash = r.raw(32)
            f_last_request_at = r.int()
            return cls(owner_address=f_owner_address, sc_address=f_sc_address, status=f_status, balance=f_balance, stake=f_stake, sc_tokens_used=f_sc_tokens_used, tokens_used=f_tokens_used, secret_hash=f_secret_hash, last_request_at=f_last_request_at)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.clientInfoV2'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbWorkerInfo(TLObject):
    """TL constructor `proxyDb.workerInfo owner_address:string sc_address:string sc_tokens:long tokens:long last_request_at:int = proxyDb.WorkerInfo`."""

    TL_NAME: ClassVar[str] = 'proxyDb.workerInfo'
    TL_ID: ClassVar[int] = 0x2517b38f
    TL_TYPE: ClassVar[str] = 'proxyDb.WorkerInfo'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('owner_address', 'string', None, None), ('sc_address', 'string', None, None), ('sc_tokens', 'long', None, None), ('tokens', 'long', None, None), ('last_request_at', 'int', None, None))

    owner_address: str
    sc_address: str
    sc_tokens: int
    tokens: int
    last_request_at: int

    def _write(self, w: Writer) -> None:
        w.string(self.owner_address)
        w.string(self.sc_address)
        w.long(self.sc_tokens)
        w.long(self.tokens)
        w.int(self.last_request_at)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbWorkerInfo:
        try:
            f_owner_address = r.string()
            f_sc_address = r.string()
            f_sc_tokens = r.long()
            f_tokens = r.long()
            f_last_request_at = r.int()
            return cls(owner_address=f_owner_address, sc_address=f_sc_address, sc_tokens=f_sc_tokens, tokens=f_tokens, last_request_at=f_last_request_at)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.workerInfo'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbPendingBlockchainSeqnoCommit(TLObject):
    """TL constructor `proxyDb.pendingBlockchainSeqnoCommit seqno:int session_hash:int256 = proxyDb.PendingBlockchainSeqnoCommit`."""

    TL_NAME: ClassVar[str] = 'proxyDb.pendingBlockchainSeqnoCommit'
    TL_ID: ClassVar[int] = 0x525b14a9
    TL_TYPE: ClassVar[str] = 'proxyDb.PendingBlockchainSeqnoCommit'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('seqno', 'int', None, None), ('session_hash', 'int256', None, None))

    seqno: int
    session_hash: bytes

    def _write(self, w: Writer) -> None:
        w.int(self.seqno)
        w.raw(self.session_hash, 32)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbPendingBlockchainSeqnoCommit:
        try:
            f_seqno = r.int()
            f_session_hash = r.raw(32)
            return cls(seqno=f_seqno, session_hash=f_session_hash)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.pendingBlockchainSeqnoCommit'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbConfigEmpty(TLObject):
    """TL constructor `proxyDb.configEmpty = proxyDb.Config`."""

    TL_NAME: ClassVar[str] = 'proxyDb.configEmpty'
    TL_ID: ClassVar[int] = 0x43dc40b4
    TL_TYPE: ClassVar[str] = 'proxyDb.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbConfigEmpty:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbConfigV4(TLObject):
    """TL constructor `proxyDb.configV4 root_contract_address:string is_testnet:int root_contract_state:rootConfig.Config root_contract_state_block_ts:int sc_block_id:ton.blockIdExt last_seqno_committed_to_blockchain:int pending_blockchain_seqno_commits:vector proxyDb.pendingBlockchainSeqnoCommit = proxyDb.Config`."""

    TL_NAME: ClassVar[str] = 'proxyDb.configV4'
    TL_ID: ClassVar[int] = 0xbde43703
    TL_TYPE: ClassVar[str] = 'proxyDb.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('root_contract_address', 'string', None, None), ('is_testnet', 'int', None, None), ('root_contract_state', 'rootConfig.Config', None, None), ('root_contract_state_block_ts', 'int', None, None), ('sc_block_id', 'ton.blockIdExt', None, None), ('last_seqno_committed_to_blockchain', 'int', None, None), ('pending_blockchain_seqno_commits', 'vector proxyDb.pendingBlockchainSeqnoCommit', None, None))

    root_contract_address: str
    is_testnet: int
    root_contract_state: RootConfigPseudo | RootConfigConfigV5
    root_contract_state_block_ts: int
    sc_block_id: TonBlockIdExt
    last_seqno_committed_to_blockchain: int
    pending_blockchain_seqno_commits: tuple[ProxyDbPendingBlockchainSeqnoCommit, ...] = attrs.field(converter=tuple)

    def _write(self, w: Writer) -> None:
        w.string(self.root_contract_address)
        w.int(self.is_testnet)
        w.boxed(self.root_contract_state, _BOXED_ROOTCONFIGCONFIG)
        w.int(self.root_contract_state_block_ts)
        w.bare(self.sc_block_id, TonBlockIdExt)
        w.int(self.last_seqno_committed_to_blockchain)
        w.uint(len(self.pending_blockchain_seqno_commits))
        for item in self.pending_blockchain_seqno_commits:
            w.bare(item, ProxyDbPendingBlockchainSeqnoCommit)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbConfigV4:
        try:
            f_root_contract_address = r.string()
            f_is_testnet = r.int()
            f_root_contract_state = r.boxed(_BOXED_ROOTCONFIGCONFIG_BY_ID, 'rootConfig.Config')
            f_root_contract_state_block_ts = r.int()
            f_sc_block_id = TonBlockIdExt._read(r)
            f_last_seqno_committed_to_blockchain = r.int()
            f_pending_blockchain_seqno_commits = tuple([ProxyDbPendingBlockchainSeqnoCommit._read(r) for _ in range(r.vector_count(36))])
            return cls(root_contract_address=f_root_contract_address, is_testnet=f_is_testnet, root_contract_state=f_root_contract_state, root_contract_state_block_ts=f_root_contract_state_block_ts, sc_block_id=f_sc_block_id, last_seqno_committed_to_blockchain=f_last_seqno_committed_to_blockchain, pending_blockchain_seqno_commits=f_pending_blockchain_seqno_commits)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.configV4'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbConfigV4Disabled(TLObject):
    """TL constructor `proxyDb.configV4Disabled root_contract_address:string is_testnet:int root_contract_state:rootConfig.Config root_contract_state_block_ts:int disabled_until_version:long = proxyDb.Config`."""

    TL_NAME: ClassVar[str] = 'proxyDb.configV4Disabled'
    TL_ID: ClassVar[int] = 0xad2cfb4a
    TL_TYPE: ClassVar[str] = 'proxyDb.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('root_contract_address', 'string', None, None), ('is_testnet', 'int', None, None), ('root_contract_state', 'rootConfig.Config', None, None), ('root_contract_state_block_ts', 'int', None, None), ('disabled_until_version', 'long', None, None))

    root_contract_address: str
    is_testnet: int
    root_contract_state: RootConfigPseudo | RootConfigConfigV5
    root_contract_state_block_ts: int
    disabled_until_version: int

    def _write(self, w: Writer) -> None:
        w.string(self.root_contract_address)
        w.int(self.is_testnet)
        w.boxed(self.root_contract_state, _BOXED_ROOTCONFIGCONFIG)
        w.int(self.root_contract_state_block_ts)
        w.long(self.disabled_until_version)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbConfigV4Disabled:
        try:
            f_root_contract_address = r.string()
            f_is_testnet = r.int()
            f_root_contract_state = r.boxed(_BOXED_ROOTCONFIGCONFIG_BY_ID, 'rootConfig.Config')
            f_root_contract_state_block_ts = r.int()
            f_disabled_until_version = r.long()
            return cls(root_contract_address=f_root_contract_address, is_testnet=f_is_testnet, root_contract_state=f_root_contract_state, root_contract_state_block_ts=f_root_contract_state_block_ts, disabled_until_version=f_disabled_until_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.configV4Disabled'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbOldClient(TLObject):
    """TL constructor `proxyDb.oldClient owner_address:string tokens:long next_client:string = proxyDb.OldClient`."""

    TL_NAME: ClassVar[str] = 'proxyDb.oldClient'
    TL_ID: ClassVar[int] = 0x2fae7b42
    TL_TYPE: ClassVar[str] = 'proxyDb.OldClient'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('owner_address', 'string', None, None), ('tokens', 'long', None, None), ('next_client', 'string', None, None))

    owner_address: str
    tokens: int
    next_client: str

    def _write(self, w: Writer) -> None:
        w.string(self.owner_address)
        w.long(self.tokens)
        w.string(self.next_client)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbOldClient:
        try:
            f_owner_address = r.string()
            f_tokens = r.long()
            f_next_client = r.string()
            return cls(owner_address=f_owner_address, tokens=f_tokens, next_client=f_next_client)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.oldClient'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbOldWorker(TLObject):
    """TL constructor `proxyDb.oldWorker owner_address:string tokens:long next_worker:string = proxyDb.OldWorker`."""

    TL_NAME: ClassVar[str] = 'proxyDb.oldWorker'
    TL_ID: ClassVar[int] = 0xf04156a0
    TL_TYPE: ClassVar[str] = 'proxyDb.OldWorker'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('owner_address', 'string', None, None), ('tokens', 'long', None, None), ('next_worker', 'string', None, None))

    owner_address: str
    tokens: int
    next_worker: str

    def _write(self, w: Writer) -> None:
        w.string(self.owner_address)
        w.long(self.tokens)
        w.string(self.next_worker)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbOldWorker:
        try:
            f_owner_address = r.string()
            f_tokens = r.long()
            f_next_worker = r.string()
            return cls(owner_address=f_owner_address, tokens=f_tokens, next_worker=f_next_worker)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.oldWorker'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyDbOldInstance(TLObject):
    """TL constructor `proxyDb.oldInstance contract_address:string closing_state:int close_at:int next_client:string next_worker:string root_contract_state:rootConfig.Config = proxyDb.OldInstance`."""

    TL_NAME: ClassVar[str] = 'proxyDb.oldInstance'
    TL_ID: ClassVar[int] = 0xa8c9e178
    TL_TYPE: ClassVar[str] = 'proxyDb.OldInstance'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('contract_address', 'string', None, None), ('closing_state', 'int', None, None), ('close_at', 'int', None, None), ('next_client', 'string', None, None), ('next_worker', 'string', None, None), ('root_contract_state', 'rootConfig.Config', None, None))

    contract_address: str
    closing_state: int
    close_at: int
    next_client: str
    next_worker: str
    root_contract_state: RootConfigPseudo | RootConfigConfigV5

    def _write(self, w: Writer) -> None:
        w.string(self.contract_address)
        w.int(self.closing_state)
        w.int(self.close_at)
        w.string(self.next_client)
        w.string(self.next_worker)
        w.boxed(self.root_contract_state, _BOXED_ROOTCONFIGCONFIG)

    @classmethod
    def _read(cls, r: Reader) -> ProxyDbOldInstance:
        try:
            f_contract_address = r.string()
            f_closing_state = r.int()
            f_close_at = r.int()
            f_next_client = r.string()
            f_next_worker = r.string()
            f_root_contract_state = r.boxed(_BOXED_ROOTCONFIGCONFIG_BY_ID, 'rootConfig.Config')
            return cls(contract_address=f_contract_address, closing_state=f_closing_state, close_at=f_close_at, next_client=f_next_client, next_worker=f_next_worker, root_contract_state=f_root_contract_state)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxyDb.oldInstance'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerDbConfigEmpty(TLObject):
    """TL constructor `keyManagerDb.configEmpty = keyManagerDb.Config`."""

    TL_NAME: ClassVar[str] = 'keyManagerDb.configEmpty'
    TL_ID: ClassVar[int] = 0xd3fc2385
    TL_TYPE: ClassVar[str] = 'keyManagerDb.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerDbConfigEmpty:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerDbConfigV1(TLObject):
    """TL constructor `keyManagerDb.configV1 root_contract_version:int = keyManagerDb.Config`."""

    TL_NAME: ClassVar[str] = 'keyManagerDb.configV1'
    TL_ID: ClassVar[int] = 0x6d2817ac
    TL_TYPE: ClassVar[str] = 'keyManagerDb.Config'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('root_contract_version', 'int', None, None),)

    root_contract_version: int

    def _write(self, w: Writer) -> None:
        w.int(self.root_contract_version)

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerDbConfigV1:
        try:
            f_root_contract_version = r.int()
            return cls(root_contract_version=f_root_contract_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyManagerDb.configV1'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerDbKey(TLObject):
    """TL constructor `keyManagerDb.key private_key:int256 for_proxies:Bool for_workers:Bool valid_since_config_version:int valid_since_utime:int valid_until_utime:int = keyManagerDb.Key`."""

    TL_NAME: ClassVar[str] = 'keyManagerDb.key'
    TL_ID: ClassVar[int] = 0x4d0a1e17
    TL_TYPE: ClassVar[str] = 'keyManagerDb.Key'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('private_key', 'int256', None, None), ('for_proxies', 'Bool', None, None), ('for_workers', 'Bool', None, None), ('valid_since_config_version', 'int', None, None), ('valid_since_utime', 'int', None, None), ('valid_until_utime', 'int', None, None))

    private_key: bytes
    for_proxies: bool
    for_workers: bool
    valid_since_config_version: int
    valid_since_utime: int
    valid_until_utime: int

    def _write(self, w: Writer) -> None:
        w.raw(self.private_key, 32)
        w.bool(self.for_proxies)
        w.bool(self.for_workers)
        w.int(self.valid_since_config_version)
        w.int(self.valid_since_utime)
        w.int(self.valid_until_utime)

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerDbKey:
        try:
            f_private_key = r.raw(32)
            f_for_proxies = r.bool()
            f_for_workers = r.bool()
            f_valid_since_config_version = r.int()
            f_valid_since_utime = r.int()
            f_valid_until_utime = r.int()
            return cls(private_key=f_private_key, for_proxies=f_for_proxies, for_workers=f_for_workers, valid_since_config_version=f_valid_since_config_version, valid_since_utime=f_valid_since_utime, valid_until_utime=f_valid_until_utime)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyManagerDb.key'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TokensUsed(TLObject):
    """TL constructor `tokensUsed prompt_tokens_used:long cached_tokens_used:long completion_tokens_used:long reasoning_tokens_used:long total_tokens_used:long = TokensUsed`."""

    TL_NAME: ClassVar[str] = 'tokensUsed'
    TL_ID: ClassVar[int] = 0x70c5b15c
    TL_TYPE: ClassVar[str] = 'TokensUsed'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('prompt_tokens_used', 'long', None, None), ('cached_tokens_used', 'long', None, None), ('completion_tokens_used', 'long', None, None), ('reasoning_tokens_used', 'long', None, None), ('total_tokens_used', 'long', None, None))

    prompt_tokens_used: int
    cached_tokens_used: int
    completion_tokens_used: int
    reasoning_tokens_used: int
    total_tokens_used: int

    def _write(self, w: Writer) -> None:
        w.long(self.prompt_tokens_used)
        w.long(self.cached_tokens_used)
        w.long(self.completion_tokens_used)
        w.long(self.reasoning_tokens_used)
        w.long(self.total_tokens_used)

    @classmethod
    def _read(cls, r: Reader) -> TokensUsed:
        try:
            f_prompt_tokens_used = r.long()
            f_cached_tokens_used = r.long()
            f_completion_tokens_used = r.long()
            f_reasoning_tokens_used = r.long()
            f_total_tokens_used = r.long()
            return cls(prompt_tokens_used=f_prompt_tokens_used, cached_tokens_used=f_cached_tokens_used, completion_tokens_used=f_completion_tokens_used, reasoning_tokens_used=f_reasoning_tokens_used, total_tokens_used=f_total_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'tokensUsed'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerParams(TLObject):
    """TL constructor `worker.params flags:# worker_owner_address:string model:string coefficient:int is_test:flags.0?Bool proxy_cnt:flags.0?int max_active_requests:flags.0?int min_proto_version:flags.1?int max_proto_version:flags.1?int = worker.Params`."""

    TL_NAME: ClassVar[str] = 'worker.params'
    TL_ID: ClassVar[int] = 0x869c73ed
    TL_TYPE: ClassVar[str] = 'worker.Params'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('flags', '#', None, None), ('worker_owner_address', 'string', None, None), ('model', 'string', None, None), ('coefficient', 'int', None, None), ('is_test', 'Bool', 'flags', 0), ('proxy_cnt', 'int', 'flags', 0), ('max_active_requests', 'int', 'flags', 0), ('min_proto_version', 'int', 'flags', 1), ('max_proto_version', 'int', 'flags', 1))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('is_test', 'proxy_cnt', 'max_active_requests')), (1, ('min_proto_version', 'max_proto_version')),)}

    flags: int | None = None  # computed from the fields present when None
    worker_owner_address: str
    model: str
    coefficient: int
    is_test: bool | None = None
    proxy_cnt: int | None = None
    max_active_requests: int | None = None
    min_proto_version: int | None = None
    max_proto_version: int | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.flags(self.flags)
        w.string(self.worker_owner_address)
        w.string(self.model)
        w.int(self.coefficient)
        if self.flags & 1:
            w.bool(self.is_test)
        if self.flags & 1:
            w.int(self.proxy_cnt)
        if self.flags & 1:
            w.int(self.max_active_requests)
        if self.flags & 2:
            w.int(self.min_proto_version)
        if self.flags & 2:
            w.int(self.max_proto_version)

    @classmethod
    def _read(cls, r: Reader) -> WorkerParams:
        try:
            f_flags = r.flags()
            f_worker_owner_address = r.string()
            f_model = r.string()
            f_coefficient = r.int()
            f_is_test = r.bool() if f_flags & 1 else None
            f_proxy_cnt = r.int() if f_flags & 1 else None
            f_max_active_requests = r.int() if f_flags & 1 else None
            f_min_proto_version = r.int() if f_flags & 2 else None
            f_max_proto_version = r.int() if f_flags & 2 else None
            return cls(flags=f_flags, worker_owner_address=f_worker_owner_address, model=f_model, coefficient=f_coefficient, is_test=f_is_test, proxy_cnt=f_proxy_cnt, max_active_requests=f_max_active_requests, min_proto_version=f_min_proto_version, max_proto_version=f_max_proto_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.params'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyParams(TLObject):
    """TL constructor `proxy.params flags:# proxy_public_key:int256 proxy_owner_address:string proxy_sc_address:string is_test:flags.0?Bool proto_version:flags.1?int = proxy.Params`."""

    TL_NAME: ClassVar[str] = 'proxy.params'
    TL_ID: ClassVar[int] = 0xd5c5609f
    TL_TYPE: ClassVar[str] = 'proxy.Params'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('flags', '#', None, None), ('proxy_public_key', 'int256', None, None), ('proxy_owner_address', 'string', None, None), ('proxy_sc_address', 'string', None, None), ('is_test', 'Bool', 'flags', 0), ('proto_version', 'int', 'flags', 1))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('is_test',)), (1, ('proto_version',)),)}

    flags: int | None = None  # computed from the fields present when None
    proxy_public_key: bytes
    proxy_owner_address: str
    proxy_sc_address: str
    is_test: bool | None = None
    proto_version: int | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.flags(self.flags)
        w.raw(self.proxy_public_key, 32)
        w.string(self.proxy_owner_address)
        w.string(self.proxy_sc_address)
        if self.flags & 1:
            w.bool(self.is_test)
        if self.flags & 2:
            w.int(self.proto_version)

    @classmethod
    def _read(cls, r: Reader) -> ProxyParams:
        try:
            f_flags = r.flags()
            f_proxy_public_key = r.raw(32)
            f_proxy_owner_address = r.string()
            f_proxy_sc_address = r.string()
            f_is_test = r.bool() if f_flags & 1 else None
            f_proto_version = r.int() if f_flags & 2 else None
            return cls(flags=f_flags, proxy_public_key=f_proxy_public_key, proxy_owner_address=f_proxy_owner_address, proxy_sc_address=f_proxy_sc_address, is_test=f_is_test, proto_version=f_proto_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.params'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientParams(TLObject):
    """TL constructor `client.params flags:# client_owner_address:string is_test:flags.0?Bool min_proto_version:flags.1?int max_proto_version:flags.1?int = client.Params`."""

    TL_NAME: ClassVar[str] = 'client.params'
    TL_ID: ClassVar[int] = 0x40fdca64
    TL_TYPE: ClassVar[str] = 'client.Params'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('flags', '#', None, None), ('client_owner_address', 'string', None, None), ('is_test', 'Bool', 'flags', 0), ('min_proto_version', 'int', 'flags', 1), ('max_proto_version', 'int', 'flags', 1))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('is_test',)), (1, ('min_proto_version', 'max_proto_version')),)}

    flags: int | None = None  # computed from the fields present when None
    client_owner_address: str
    is_test: bool | None = None
    min_proto_version: int | None = None
    max_proto_version: int | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.flags(self.flags)
        w.string(self.client_owner_address)
        if self.flags & 1:
            w.bool(self.is_test)
        if self.flags & 2:
            w.int(self.min_proto_version)
        if self.flags & 2:
            w.int(self.max_proto_version)

    @classmethod
    def _read(cls, r: Reader) -> ClientParams:
        try:
            f_flags = r.flags()
            f_client_owner_address = r.string()
            f_is_test = r.bool() if f_flags & 1 else None
            f_min_proto_version = r.int() if f_flags & 2 else None
            f_max_proto_version = r.int() if f_flags & 2 else None
            return cls(flags=f_flags, client_owner_address=f_client_owner_address, is_test=f_is_test, min_proto_version=f_min_proto_version, max_proto_version=f_max_proto_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.params'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientProxyConnectionAuthShort(TLObject):
    """TL constructor `client.proxyConnectionAuthShort secret_hash:int256 nonce:long = client.ProxyConnectionAuth`."""

    TL_NAME: ClassVar[str] = 'client.proxyConnectionAuthShort'
    TL_ID: ClassVar[int] = 0xd6ffc5af
    TL_TYPE: ClassVar[str] = 'client.ProxyConnectionAuth'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('secret_hash', 'int256', None, None), ('nonce', 'long', None, None))

    secret_hash: bytes
    nonce: int

    def _write(self, w: Writer) -> None:
        w.raw(self.secret_hash, 32)
        w.long(self.nonce)

    @classmethod
    def _read(cls, r: Reader) -> ClientProxyConnectionAuthShort:
        try:
            f_secret_hash = r.raw(32)
            f_nonce = r.long()
            return cls(secret_hash=f_secret_hash, nonce=f_nonce)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.proxyConnectionAuthShort'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientProxyConnectionAuthLong(TLObject):
    """TL constructor `client.proxyConnectionAuthLong nonce:long = client.ProxyConnectionAuth`."""

    TL_NAME: ClassVar[str] = 'client.proxyConnectionAuthLong'
    TL_ID: ClassVar[int] = 0x417bf016
    TL_TYPE: ClassVar[str] = 'client.ProxyConnectionAuth'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('nonce', 'long', None, None),)

    nonce: int

    def _write(self, w: Writer) -> None:
        w.long(self.nonce)

    @classmethod
    def _read(cls, r: Reader) -> ClientProxyConnectionAuthLong:
        try:
            f_nonce = r.long()
            return cls(nonce=f_nonce)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.proxyConnectionAuthLong'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientAuthorizationWithProxySuccess(TLObject):
    """TL constructor `client.authorizationWithProxySuccess signed_payment:proxy.SignedPayment tokens_committed_to_db:long max_tokens:long = client.AuthorizationWithProxy`."""

    TL_NAME: ClassVar[str] = 'client.authorizationWithProxySuccess'
    TL_ID: ClassVar[int] = 0x75d5ac34
    TL_TYPE: ClassVar[str] = 'client.AuthorizationWithProxy'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('signed_payment', 'proxy.SignedPayment', None, None), ('tokens_committed_to_db', 'long', None, None), ('max_tokens', 'long', None, None))

    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    tokens_committed_to_db: int
    max_tokens: int

    def _write(self, w: Writer) -> None:
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.tokens_committed_to_db)
        w.long(self.max_tokens)

    @classmethod
    def _read(cls, r: Reader) -> ClientAuthorizationWithProxySuccess:
        try:
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_tokens_committed_to_db = r.long()
            f_max_tokens = r.long()
            return cls(signed_payment=f_signed_payment, tokens_committed_to_db=f_tokens_committed_to_db, max_tokens=f_max_tokens)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.authorizationWithProxySuccess'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientAuthorizationWithProxyFailed(TLObject):
    """TL constructor `client.authorizationWithProxyFailed error_code:int error:string = client.AuthorizationWithProxy`."""

    TL_NAME: ClassVar[str] = 'client.authorizationWithProxyFailed'
    TL_ID: ClassVar[int] = 0x60551c96
    TL_TYPE: ClassVar[str] = 'client.AuthorizationWithProxy'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('error_code', 'int', None, None), ('error', 'string', None, None))

    error_code: int
    error: str

    def _write(self, w: Writer) -> None:
        w.int(self.error_code)
        w.string(self.error)

    @classmethod
    def _read(cls, r: Reader) -> ClientAuthorizationWithProxyFailed:
        try:
            f_error_code = r.int()
            f_error = r.string()
            return cls(error_code=f_error_code, error=f_error)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.authorizationWithProxyFailed'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientConnectedToProxy(TLObject):
    """TL constructor `client.connectedToProxy params:proxy.params client_sc_address:string auth:client.ProxyConnectionAuth signed_payment:proxy.SignedPayment = client.ConnectedToProxy`."""

    TL_NAME: ClassVar[str] = 'client.connectedToProxy'
    TL_ID: ClassVar[int] = 0x95317ad1
    TL_TYPE: ClassVar[str] = 'client.ConnectedToProxy'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('params', 'proxy.params', None, None), ('client_sc_address', 'string', None, None), ('auth', 'client.ProxyConnectionAuth', None, None), ('signed_payment', 'proxy.SignedPayment', None, None))

    params: ProxyParams
    client_sc_address: str
    auth: ClientProxyConnectionAuthShort | ClientProxyConnectionAuthLong
    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty

    def _write(self, w: Writer) -> None:
        w.bare(self.params, ProxyParams)
        w.string(self.client_sc_address)
        w.boxed(self.auth, _BOXED_CLIENTPROXYCONNECTIONAUTH)
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)

    @classmethod
    def _read(cls, r: Reader) -> ClientConnectedToProxy:
        try:
            f_params = ProxyParams._read(r)
            f_client_sc_address = r.string()
            f_auth = r.boxed(_BOXED_CLIENTPROXYCONNECTIONAUTH_BY_ID, 'client.ProxyConnectionAuth')
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            return cls(params=f_params, client_sc_address=f_client_sc_address, auth=f_auth, signed_payment=f_signed_payment)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.connectedToProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswer(TLObject):
    """TL constructor `client.queryAnswer answer:bytes is_completed:Bool request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswer'
    TL_ID: ClassVar[int] = 0x9b943922
    TL_TYPE: ClassVar[str] = 'client.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('answer', 'bytes', None, None), ('is_completed', 'Bool', None, None), ('request_id', 'int256', None, None), ('request_tokens_used', 'tokensUsed', None, None))

    answer: bytes
    is_completed: bool
    request_id: bytes
    request_tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.bytes(self.answer)
        w.bool(self.is_completed)
        w.raw(self.request_id, 32)
        w.bare(self.request_tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswer:
        try:
            f_answer = r.bytes()
            f_is_completed = r.bool()
            f_request_id = r.raw(32)
            f_request_tokens_used = TokensUsed._read(r)
            return cls(answer=f_answer, is_completed=f_is_completed, request_id=f_request_id, request_tokens_used=f_request_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswer'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswerError(TLObject):
    """TL constructor `client.queryAnswerError error_code:int error:string request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswerError'
    TL_ID: ClassVar[int] = 0x6d60569a
    TL_TYPE: ClassVar[str] = 'client.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('error_code', 'int', None, None), ('error', 'string', None, None), ('request_id', 'int256', None, None), ('request_tokens_used', 'tokensUsed', None, None))

    error_code: int
    error: str
    request_id: bytes
    request_tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.int(self.error_code)
        w.string(self.error)
        w.raw(self.request_id, 32)
        w.bare(self.request_tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswerError:
        try:
            f_error_code = r.int()
            f_error = r.string()
            f_request_id = r.raw(32)
            f_request_tokens_used = TokensUsed._read(r)
            return cls(error_code=f_error_code, error=f_error, request_id=f_request_id, request_tokens_used=f_request_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswerError'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswerPart(TLObject):
    """TL constructor `client.queryAnswerPart answer:bytes is_completed:Bool request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswerPart`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswerPart'
    TL_ID: ClassVar[int] = 0xb765de4c
    TL_TYPE: ClassVar[str] = 'client.QueryAnswerPart'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('answer', 'bytes', None, None), ('is_completed', 'Bool', None, None), ('request_id', 'int256', None, None), ('request_tokens_used', 'tokensUsed', None, None))

    answer: bytes
    is_completed: bool
    request_id: bytes
    request_tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.bytes(self.answer)
        w.bool(self.is_completed)
        w.raw(self.request_id, 32)
        w.bare(self.request_tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswerPart:
        try:
            f_answer = r.bytes()
            f_is_completed = r.bool()
            f_request_id = r.raw(32)
            f_request_tokens_used = TokensUsed._read(r)
            return cls(answer=f_answer, is_completed=f_is_completed, request_id=f_request_id, request_tokens_used=f_request_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswerPart'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswerPartError(TLObject):
    """TL constructor `client.queryAnswerPartError error_code:int error:string request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswerPart`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswerPartError'
    TL_ID: ClassVar[int] = 0xd790a022
    TL_TYPE: ClassVar[str] = 'client.QueryAnswerPart'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('error_code', 'int', None, None), ('error', 'string', None, None), ('request_id', 'int256', None, None), ('request_tokens_used', 'tokensUsed', None, None))

    error_code: int
    error: str
    request_id: bytes
    request_tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.int(self.error_code)
        w.string(self.error)
        w.raw(self.request_id, 32)
        w.bare(self.request_tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswerPartError:
        try:
            f_error_code = r.int()
            f_error = r.string()
            f_request_id = r.raw(32)
            f_request_tokens_used = TokensUsed._read(r)
            return cls(error_code=f_error_code, error=f_error, request_id=f_request_id, request_tokens_used=f_request_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswerPartError'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryFinalInfo(TLObject):
    """TL constructor `client.queryFinalInfo flags:# tokens_used:tokensUsed worker_debug:flags.0?string proxy_debug:flags.0?string proxy_start_time:flags.1?double proxy_end_time:flags.1?double worker_start_time:flags.1?double worker_end_time:flags.1?double = client.QueryFinalInfo`."""

    TL_NAME: ClassVar[str] = 'client.queryFinalInfo'
    TL_ID: ClassVar[int] = 0x69a452f0
    TL_TYPE: ClassVar[str] = 'client.QueryFinalInfo'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('flags', '#', None, None), ('tokens_used', 'tokensUsed', None, None), ('worker_debug', 'string', 'flags', 0), ('proxy_debug', 'string', 'flags', 0), ('proxy_start_time', 'double', 'flags', 1), ('proxy_end_time', 'double', 'flags', 1), ('worker_start_time', 'double', 'flags', 1), ('worker_end_time', 'double', 'flags', 1))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('worker_debug', 'proxy_debug')), (1, ('proxy_start_time', 'proxy_end_time', 'worker_start_time', 'worker_end_time')),)}

    flags: int | None = None  # computed from the fields present when None
    tokens_used: TokensUsed
    worker_debug: str | None = None
    proxy_debug: str | None = None
    proxy_start_time: float | None = None
    proxy_end_time: float | None = None
    worker_start_time: float | None = None
    worker_end_time: float | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.flags(self.flags)
        w.bare(self.tokens_used, TokensUsed)
        if self.flags & 1:
            w.string(self.worker_debug)
        if self.flags & 1:
            w.string(self.proxy_debug)
        if self.flags & 2:
            w.double(self.proxy_start_time)
        if self.flags & 2:
            w.double(self.proxy_end_time)
        if self.flags & 2:
            w.double(self.worker_start_time)
        if self.flags & 2:
            w.double(self.worker_end_time)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryFinalInfo:
        try:
            f_flags = r.flags()
            f_tokens_used = TokensUsed._read(r)
            f_worker_debug = r.string() if f_flags & 1 else None
            f_proxy_debug = r.string() if f_flags & 1 else None
            f_proxy_start_time = r.double() if f_flags & 2 else None
            f_proxy_end_time = r.double() if f_flags & 2 else None
            f_worker_start_time = r.double() if f_flags & 2 else None
            f_worker_end_time = r.double() if f_flags & 2 else None
            return cls(flags=f_flags, tokens_used=f_tokens_used, worker_debug=f_worker_debug, proxy_debug=f_proxy_debug, proxy_start_time=f_proxy_start_time, proxy_end_time=f_proxy_end_time, worker_start_time=f_worker_start_time, worker_end_time=f_worker_end_time)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryFinalInfo'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswerEx(TLObject):
    """TL constructor `client.queryAnswerEx request_id:int256 answer:bytes flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswerEx'
    TL_ID: ClassVar[int] = 0xcd524720
    TL_TYPE: ClassVar[str] = 'client.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('answer', 'bytes', None, None), ('flags', '#', None, None), ('final_info', 'client.queryFinalInfo', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('final_info',)),)}

    request_id: bytes
    answer: bytes
    flags: int | None = None  # computed from the fields present when None
    final_info: ClientQueryFinalInfo | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.bytes(self.answer)
        w.flags(self.flags)
        if self.flags & 1:
            w.bare(self.final_info, ClientQueryFinalInfo)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswerEx:
        try:
            f_request_id = r.raw(32)
            f_answer = r.bytes()
            f_flags = r.flags()
            f_final_info = ClientQueryFinalInfo._read(r) if f_flags & 1 else None
            return cls(request_id=f_request_id, answer=f_answer, flags=f_flags, final_info=f_final_info)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswerEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswerErrorEx(TLObject):
    """TL constructor `client.queryAnswerErrorEx request_id:int256 error_code:int error:string flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswerErrorEx'
    TL_ID: ClassVar[int] = 0x072562a8
    TL_TYPE: ClassVar[str] = 'client.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('error_code', 'int', None, None), ('error', 'string', None, None), ('flags', '#', None, None), ('final_info', 'client.queryFinalInfo', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('final_info',)),)}

    request_id: bytes
    error_code: int
    error: str
    flags: int | None = None  # computed from the fields present when None
    final_info: ClientQueryFinalInfo | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.int(self.error_code)
        w.string(self.error)
        w.flags(self.flags)
        if self.flags & 1:
            w.bare(self.final_info, ClientQueryFinalInfo)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswerErrorEx:
        try:
            f_request_id = r.raw(32)
            f_error_code = r.int()
            f_error = r.string()
            f_flags = r.flags()
            f_final_info = ClientQueryFinalInfo._read(r) if f_flags & 1 else None
            return cls(request_id=f_request_id, error_code=f_error_code, error=f_error, flags=f_flags, final_info=f_final_info)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswerErrorEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientQueryAnswerPartEx(TLObject):
    """TL constructor `client.queryAnswerPartEx request_id:int256 answer:bytes flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'client.queryAnswerPartEx'
    TL_ID: ClassVar[int] = 0xc07bfaec
    TL_TYPE: ClassVar[str] = 'client.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('answer', 'bytes', None, None), ('flags', '#', None, None), ('final_info', 'client.queryFinalInfo', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('final_info',)),)}

    request_id: bytes
    answer: bytes
    flags: int | None = None  # computed from the fields present when None
    final_info: ClientQueryFinalInfo | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.bytes(self.answer)
        w.flags(self.flags)
        if self.flags & 1:
            w.bare(self.final_info, ClientQueryFinalInfo)

    @classmethod
    def _read(cls, r: Reader) -> ClientQueryAnswerPartEx:
        try:
            f_request_id = r.raw(32)
            f_answer = r.bytes()
            f_flags = r.flags()
            f_final_info = ClientQueryFinalInfo._read(r) if f_flags & 1 else None
            return cls(request_id=f_request_id, answer=f_answer, flags=f_flags, final_info=f_final_info)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.queryAnswerPartEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientRefund(TLObject):
    """TL constructor `client.refund data:bytes = client.Refund`."""

    TL_NAME: ClassVar[str] = 'client.refund'
    TL_ID: ClassVar[int] = 0x83aabead
    TL_TYPE: ClassVar[str] = 'client.Refund'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('data', 'bytes', None, None),)

    data: bytes

    def _write(self, w: Writer) -> None:
        w.bytes(self.data)

    @classmethod
    def _read(cls, r: Reader) -> ClientRefund:
        try:
            f_data = r.bytes()
            return cls(data=f_data)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.refund'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientRefundRejected(TLObject):
    """TL constructor `client.refundRejected active_queries:long = client.Refund`."""

    TL_NAME: ClassVar[str] = 'client.refundRejected'
    TL_ID: ClassVar[int] = 0xcf9d9957
    TL_TYPE: ClassVar[str] = 'client.Refund'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('active_queries', 'long', None, None),)

    active_queries: int

    def _write(self, w: Writer) -> None:
        w.long(self.active_queries)

    @classmethod
    def _read(cls, r: Reader) -> ClientRefundRejected:
        try:
            f_active_queries = r.long()
            return cls(active_queries=f_active_queries)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.refundRejected'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientWorkerType(TLObject):
    """TL constructor `client.workerType name:string active_workers:int coefficient_min:int coefficient_bucket50:int coefficient_max:int = client.WorkerType`."""

    TL_NAME: ClassVar[str] = 'client.workerType'
    TL_ID: ClassVar[int] = 0x8210e21c
    TL_TYPE: ClassVar[str] = 'client.WorkerType'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('name', 'string', None, None), ('active_workers', 'int', None, None), ('coefficient_min', 'int', None, None), ('coefficient_bucket50', 'int', None, None), ('coefficient_max', 'int', None, None))

    name: str
    active_workers: int
    coefficient_min: int
    coefficient_bucket50: int
    coefficient_max: int

    def _write(self, w: Writer) -> None:
        w.string(self.name)
        w.int(self.active_workers)
        w.int(self.coefficient_min)
        w.int(self.coefficient_bucket50)
        w.int(self.coefficient_max)

    @classmethod
    def _read(cls, r: Reader) -> ClientWorkerType:
        try:
            f_name = r.string()
            f_active_workers = r.int()
            f_coefficient_min = r.int()
            f_coefficient_bucket50 = r.int()
            f_coefficient_max = r.int()
            return cls(name=f_name, active_workers=f_active_workers, coefficient_min=f_coefficient_min, coefficient_bucket50=f_coefficient_bucket50, coefficient_max=f_coefficient_max)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.workerType'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientWorkerTypes(TLObject):
    """TL constructor `client.workerTypes types:vector client.workerType = client.WorkerTypes`."""

    TL_NAME: ClassVar[str] = 'client.workerTypes'
    TL_ID: ClassVar[int] = 0xf64e0e01
    TL_TYPE: ClassVar[str] = 'client.WorkerTypes'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('types', 'vector client.workerType', None, None),)

    types: tuple[ClientWorkerType, ...] = attrs.field(converter=tuple)

    def _write(self, w: Writer) -> None:
        w.uint(len(self.types))
        for item in self.types:
            w.bare(item, ClientWorkerType)

    @classmethod
    def _read(cls, r: Reader) -> ClientWorkerTypes:
        try:
            f_types = tuple([ClientWorkerType._read(r) for _ in range(r.vector_count(20))])
            return cls(types=f_types)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.workerTypes'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientWorkerInstanceV2(TLObject):
    """TL constructor `client.workerInstanceV2 flags:# coefficient:int active_requests:int max_active_requests:int = client.WorkerInstanceV2`."""

    TL_NAME: ClassVar[str] = 'client.workerInstanceV2'
    TL_ID: ClassVar[int] = 0x3ea93d00
    TL_TYPE: ClassVar[str] = 'client.WorkerInstanceV2'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('flags', '#', None, None), ('coefficient', 'int', None, None), ('active_requests', 'int', None, None), ('max_active_requests', 'int', None, None))

    flags: int = 0
    coefficient: int
    active_requests: int
    max_active_requests: int

    def _write(self, w: Writer) -> None:
        w.flags(self.flags)
        w.int(self.coefficient)
        w.int(self.active_requests)
        w.int(self.max_active_requests)

    @classmethod
    def _read(cls, r: Reader) -> ClientWorkerInstanceV2:
        try:
            f_flags = r.flags()
            f_coefficient = r.int()
            f_active_requests = r.int()
            f_max_active_requests = r.int()
            return cls(flags=f_flags, coefficient=f_coefficient, active_requests=f_active_requests, max_active_requests=f_max_active_requests)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.workerInstanceV2'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientWorkerTypeV2(TLObject):
    """TL constructor `client.workerTypeV2 name:string workers:vector client.workerInstanceV2 = client.WorkerTypeV2`."""

    TL_NAME: ClassVar[str] = 'client.workerTypeV2'
    TL_ID: ClassVar[int] = 0xb27d8197
    TL_TYPE: ClassVar[str] = 'client.WorkerTypeV2'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('name', 'string', None, None), ('workers', 'vector client.workerInstanceV2', None, None))

    name: str
    workers: tuple[ClientWorkerInstanceV2, ...] = attrs.field(converter=tuple)

    def _write(self, w: Writer) -> None:
        w.string(self.name)
        w.uint(len(self.workers))
        for item in self.workers:
            w.bare(item, ClientWorkerInstanceV2)

    @classmethod
    def _read(cls, r: Reader) -> ClientWorkerTypeV2:
        try:
            f_name = r.string()
            f_workers = tuple([ClientWorkerInstanceV2._read(r) for _ in range(r.vector_count(16))])
            return cls(name=f_name, workers=f_workers)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.workerTypeV2'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientWorkerTypesV2(TLObject):
    """TL constructor `client.workerTypesV2 types:vector client.workerTypeV2 = client.WorkerTypesV2`."""

    TL_NAME: ClassVar[str] = 'client.workerTypesV2'
    TL_ID: ClassVar[int] = 0x0cf0dc67
    TL_TYPE: ClassVar[str] = 'client.WorkerTypesV2'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('types', 'vector client.workerTypeV2', None, None),)

    types: tuple[ClientWorkerTypeV2, ...] = attrs.field(converter=tuple)

    def _write(self, w: Writer) -> None:
        w.uint(len(self.types))
        for item in self.types:
            w.bare(item, ClientWorkerTypeV2)

    @classmethod
    def _read(cls, r: Reader) -> ClientWorkerTypesV2:
        try:
            f_types = tuple([ClientWorkerTypeV2._read(r) for _ in range(r.vector_count(8))])
            return cls(types=f_types)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.workerTypesV2'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientPaymentStatus(TLObject):
    """TL constructor `client.paymentStatus signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long = client.PaymentStatus`."""

    TL_NAME: ClassVar[str] = 'client.paymentStatus'
    TL_ID: ClassVar[int] = 0xaa8a0ecc
    TL_TYPE: ClassVar[str] = 'client.PaymentStatus'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('signed_payment', 'proxy.SignedPayment', None, None), ('db_tokens', 'long', None, None), ('max_tokens', 'long', None, None))

    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    db_tokens: int
    max_tokens: int

    def _write(self, w: Writer) -> None:
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.db_tokens)
        w.long(self.max_tokens)

    @classmethod
    def _read(cls, r: Reader) -> ClientPaymentStatus:
        try:
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_db_tokens = r.long()
            f_max_tokens = r.long()
            return cls(signed_payment=f_signed_payment, db_tokens=f_db_tokens, max_tokens=f_max_tokens)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.paymentStatus'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyClientRequestPayment(TLObject):
    """TL constructor `proxy.clientRequestPayment request_id:int256 signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long request_tokens:long = proxy.WorkerRequestPayment`."""

    TL_NAME: ClassVar[str] = 'proxy.clientRequestPayment'
    TL_ID: ClassVar[int] = 0xc6bcf127
    TL_TYPE: ClassVar[str] = 'proxy.WorkerRequestPayment'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('signed_payment', 'proxy.SignedPayment', None, None), ('db_tokens', 'long', None, None), ('max_tokens', 'long', None, None), ('request_tokens', 'long', None, None))

    request_id: bytes
    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    db_tokens: int
    max_tokens: int
    request_tokens: int

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.db_tokens)
        w.long(self.max_tokens)
        w.long(self.request_tokens)

    @classmethod
    def _read(cls, r: Reader) -> ProxyClientRequestPayment:
        try:
            f_request_id = r.raw(32)
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_db_tokens = r.long()
            f_max_tokens = r.long()
            f_request_tokens = r.long()
            return cls(request_id=f_request_id, signed_payment=f_signed_payment, db_tokens=f_db_tokens, max_tokens=f_max_tokens, request_tokens=f_request_tokens)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.clientRequestPayment'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientConnectToProxy(TLObject):
    """TL function `client.connectToProxy params:client.params min_config_version:int = client.ConnectedToProxy`."""

    TL_NAME: ClassVar[str] = 'client.connectToProxy'
    TL_ID: ClassVar[int] = 0xff5fa0f4
    TL_TYPE: ClassVar[str] = 'client.ConnectedToProxy'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('params', 'client.params', None, None), ('min_config_version', 'int', None, None))

    params: ClientParams
    min_config_version: int

    def _write(self, w: Writer) -> None:
        w.bare(self.params, ClientParams)
        w.int(self.min_config_version)

    @classmethod
    def _read(cls, r: Reader) -> ClientConnectToProxy:
        try:
            f_params = ClientParams._read(r)
            f_min_config_version = r.int()
            return cls(params=f_params, min_config_version=f_min_config_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.connectToProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientAuthorizeWithProxyShort(TLObject):
    """TL function `client.authorizeWithProxyShort data:bytes = client.AuthorizationWithProxy`."""

    TL_NAME: ClassVar[str] = 'client.authorizeWithProxyShort'
    TL_ID: ClassVar[int] = 0x6c276723
    TL_TYPE: ClassVar[str] = 'client.AuthorizationWithProxy'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('data', 'bytes', None, None),)

    data: bytes

    def _write(self, w: Writer) -> None:
        w.bytes(self.data)

    @classmethod
    def _read(cls, r: Reader) -> ClientAuthorizeWithProxyShort:
        try:
            f_data = r.bytes()
            return cls(data=f_data)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.authorizeWithProxyShort'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientAuthorizeWithProxyLong(TLObject):
    """TL function `client.authorizeWithProxyLong = client.AuthorizationWithProxy`."""

    TL_NAME: ClassVar[str] = 'client.authorizeWithProxyLong'
    TL_ID: ClassVar[int] = 0xd3474303
    TL_TYPE: ClassVar[str] = 'client.AuthorizationWithProxy'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ClientAuthorizeWithProxyLong:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientRunQuery(TLObject):
    """TL function `client.runQuery model_name:string query:bytes max_coefficient:int max_tokens:int timeout:double request_id:int256 min_config_version:int = client.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'client.runQuery'
    TL_ID: ClassVar[int] = 0xbc748f32
    TL_TYPE: ClassVar[str] = 'client.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('model_name', 'string', None, None), ('query', 'bytes', None, None), ('max_coefficient', 'int', None, None), ('max_tokens', 'int', None, None), ('timeout', 'double', None, None), ('request_id', 'int256', None, None), ('min_config_version', 'int', None, None))

    model_name: str
    query: bytes
    max_coefficient: int
    max_tokens: int
    timeout: float
    request_id: bytes
    min_config_version: int

    def _write(self, w: Writer) -> None:
        w.string(self.model_name)
        w.bytes(self.query)
        w.int(self.max_coefficient)
        w.int(self.max_tokens)
        w.double(self.timeout)
        w.raw(self.request_id, 32)
        w.int(self.min_config_version)

    @classmethod
    def _read(cls, r: Reader) -> ClientRunQuery:
        try:
            f_model_name = r.string()
            f_query = r.bytes()
            f_max_coefficient = r.int()
            f_max_tokens = r.int()
            f_timeout = r.double()
            f_request_id = r.raw(32)
            f_min_config_version = r.int()
            return cls(model_name=f_model_name, query=f_query, max_coefficient=f_max_coefficient, max_tokens=f_max_tokens, timeout=f_timeout, request_id=f_request_id, min_config_version=f_min_config_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.runQuery'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientRunQueryEx(TLObject):
    """TL function `client.runQueryEx model_name:string query:bytes max_coefficient:int max_tokens:int timeout:double request_id:int256 min_config_version:int flags:# enable_debug:flags.0?Bool = client.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'client.runQueryEx'
    TL_ID: ClassVar[int] = 0xf54cb74b
    TL_TYPE: ClassVar[str] = 'client.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('model_name', 'string', None, None), ('query', 'bytes', None, None), ('max_coefficient', 'int', None, None), ('max_tokens', 'int', None, None), ('timeout', 'double', None, None), ('request_id', 'int256', None, None), ('min_config_version', 'int', None, None), ('flags', '#', None, None), ('enable_debug', 'Bool', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('enable_debug',)),)}

    model_name: str
    query: bytes
    max_coefficient: int
    max_tokens: int
    timeout: float
    request_id: bytes
    min_config_version: int
    flags: int | None = None  # computed from the fields present when None
    enable_debug: bool | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.string(self.model_name)
        w.bytes(self.query)
        w.int(self.max_coefficient)
        w.int(self.max_tokens)
        w.double(self.timeout)
        w.raw(self.request_id, 32)
        w.int(self.min_config_version)
        w.flags(self.flags)
        if self.flags & 1:
            w.bool(self.enable_debug)

    @classmethod
    def _read(cls, r: Reader) -> ClientRunQueryEx:
        try:
            f_model_name = r.string()
            f_query = r.bytes()
            f_max_coefficient = r.int()
            f_max_tokens = r.int()
            f_timeout = r.double()
            f_request_id = r.raw(32)
            f_min_config_version = r.int()
            f_flags = r.flags()
            f_enable_debug = r.bool() if f_flags & 1 else None
            return cls(model_name=f_model_name, query=f_query, max_coefficient=f_max_coefficient, max_tokens=f_max_tokens, timeout=f_timeout, request_id=f_request_id, min_config_version=f_min_config_version, flags=f_flags, enable_debug=f_enable_debug)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'client.runQueryEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientRequestRefund(TLObject):
    """TL function `client.requestRefund = client.Refund`."""

    TL_NAME: ClassVar[str] = 'client.requestRefund'
    TL_ID: ClassVar[int] = 0x238d863d
    TL_TYPE: ClassVar[str] = 'client.Refund'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ClientRequestRefund:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientUpdatePaymentStatus(TLObject):
    """TL function `client.updatePaymentStatus = client.PaymentStatus`."""

    TL_NAME: ClassVar[str] = 'client.updatePaymentStatus'
    TL_ID: ClassVar[int] = 0x9ed1c697
    TL_TYPE: ClassVar[str] = 'client.PaymentStatus'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ClientUpdatePaymentStatus:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientGetWorkerTypes(TLObject):
    """TL function `client.getWorkerTypes = client.WorkerTypes`."""

    TL_NAME: ClassVar[str] = 'client.getWorkerTypes'
    TL_ID: ClassVar[int] = 0x7f062bdb
    TL_TYPE: ClassVar[str] = 'client.WorkerTypes'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ClientGetWorkerTypes:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClientGetWorkerTypesV2(TLObject):
    """TL function `client.getWorkerTypesV2 = client.WorkerTypesV2`."""

    TL_NAME: ClassVar[str] = 'client.getWorkerTypesV2'
    TL_ID: ClassVar[int] = 0xb2133d72
    TL_TYPE: ClassVar[str] = 'client.WorkerTypesV2'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ClientGetWorkerTypesV2:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxySignedPayment(TLObject):
    """TL constructor `proxy.signedPayment data:bytes = proxy.SignedPayment`."""

    TL_NAME: ClassVar[str] = 'proxy.signedPayment'
    TL_ID: ClassVar[int] = 0x02998182
    TL_TYPE: ClassVar[str] = 'proxy.SignedPayment'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('data', 'bytes', None, None),)

    data: bytes

    def _write(self, w: Writer) -> None:
        w.bytes(self.data)

    @classmethod
    def _read(cls, r: Reader) -> ProxySignedPayment:
        try:
            f_data = r.bytes()
            return cls(data=f_data)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.signedPayment'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxySignedPaymentEmpty(TLObject):
    """TL constructor `proxy.signedPaymentEmpty = proxy.SignedPayment`."""

    TL_NAME: ClassVar[str] = 'proxy.signedPaymentEmpty'
    TL_ID: ClassVar[int] = 0xb347ce64
    TL_TYPE: ClassVar[str] = 'proxy.SignedPayment'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> ProxySignedPaymentEmpty:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswer(TLObject):
    """TL constructor `proxy.queryAnswer answer:bytes is_completed:Bool request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswer'
    TL_ID: ClassVar[int] = 0x37e5f725
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('answer', 'bytes', None, None), ('is_completed', 'Bool', None, None), ('request_id', 'int256', None, None), ('tokens_used', 'tokensUsed', None, None))

    answer: bytes
    is_completed: bool
    request_id: bytes
    tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.bytes(self.answer)
        w.bool(self.is_completed)
        w.raw(self.request_id, 32)
        w.bare(self.tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswer:
        try:
            f_answer = r.bytes()
            f_is_completed = r.bool()
            f_request_id = r.raw(32)
            f_tokens_used = TokensUsed._read(r)
            return cls(answer=f_answer, is_completed=f_is_completed, request_id=f_request_id, tokens_used=f_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswer'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswerError(TLObject):
    """TL constructor `proxy.queryAnswerError error_code:int error:string request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswerError'
    TL_ID: ClassVar[int] = 0x669d014e
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('error_code', 'int', None, None), ('error', 'string', None, None), ('request_id', 'int256', None, None), ('tokens_used', 'tokensUsed', None, None))

    error_code: int
    error: str
    request_id: bytes
    tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.int(self.error_code)
        w.string(self.error)
        w.raw(self.request_id, 32)
        w.bare(self.tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswerError:
        try:
            f_error_code = r.int()
            f_error = r.string()
            f_request_id = r.raw(32)
            f_tokens_used = TokensUsed._read(r)
            return cls(error_code=f_error_code, error=f_error, request_id=f_request_id, tokens_used=f_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswerError'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswerPart(TLObject):
    """TL constructor `proxy.queryAnswerPart answer:bytes is_completed:Bool request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswerPart`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswerPart'
    TL_ID: ClassVar[int] = 0x72eb00ee
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswerPart'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('answer', 'bytes', None, None), ('is_completed', 'Bool', None, None), ('request_id', 'int256', None, None), ('tokens_used', 'tokensUsed', None, None))

    answer: bytes
    is_completed: bool
    request_id: bytes
    tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.bytes(self.answer)
        w.bool(self.is_completed)
        w.raw(self.request_id, 32)
        w.bare(self.tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswerPart:
        try:
            f_answer = r.bytes()
            f_is_completed = r.bool()
            f_request_id = r.raw(32)
            f_tokens_used = TokensUsed._read(r)
            return cls(answer=f_answer, is_completed=f_is_completed, request_id=f_request_id, tokens_used=f_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswerPart'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswerPartError(TLObject):
    """TL constructor `proxy.queryAnswerPartError error_code:int error:string request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswerPart`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswerPartError'
    TL_ID: ClassVar[int] = 0x940e1168
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswerPart'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('error_code', 'int', None, None), ('error', 'string', None, None), ('request_id', 'int256', None, None), ('tokens_used', 'tokensUsed', None, None))

    error_code: int
    error: str
    request_id: bytes
    tokens_used: TokensUsed

    def _write(self, w: Writer) -> None:
        w.int(self.error_code)
        w.string(self.error)
        w.raw(self.request_id, 32)
        w.bare(self.tokens_used, TokensUsed)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswerPartError:
        try:
            f_error_code = r.int()
            f_error = r.string()
            f_request_id = r.raw(32)
            f_tokens_used = TokensUsed._read(r)
            return cls(error_code=f_error_code, error=f_error, request_id=f_request_id, tokens_used=f_tokens_used)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswerPartError'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryFinalInfo(TLObject):
    """TL constructor `proxy.queryFinalInfo flags:# tokens_used:tokensUsed worker_debug:flags.0?string worker_start_time:flags.1?double worker_end_time:flags.1?double = proxy.QueryFinalInfo`."""

    TL_NAME: ClassVar[str] = 'proxy.queryFinalInfo'
    TL_ID: ClassVar[int] = 0xe794e6fc
    TL_TYPE: ClassVar[str] = 'proxy.QueryFinalInfo'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('flags', '#', None, None), ('tokens_used', 'tokensUsed', None, None), ('worker_debug', 'string', 'flags', 0), ('worker_start_time', 'double', 'flags', 1), ('worker_end_time', 'double', 'flags', 1))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('worker_debug',)), (1, ('worker_start_time', 'worker_end_time')),)}

    flags: int | None = None  # computed from the fields present when None
    tokens_used: TokensUsed
    worker_debug: str | None = None
    worker_start_time: float | None = None
    worker_end_time: float | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.flags(self.flags)
        w.bare(self.tokens_used, TokensUsed)
        if self.flags & 1:
            w.string(self.worker_debug)
        if self.flags & 2:
            w.double(self.worker_start_time)
        if self.flags & 2:
            w.double(self.worker_end_time)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryFinalInfo:
        try:
            f_flags = r.flags()
            f_tokens_used = TokensUsed._read(r)
            f_worker_debug = r.string() if f_flags & 1 else None
            f_worker_start_time = r.double() if f_flags & 2 else None
            f_worker_end_time = r.double() if f_flags & 2 else None
            return cls(flags=f_flags, tokens_used=f_tokens_used, worker_debug=f_worker_debug, worker_start_time=f_worker_start_time, worker_end_time=f_worker_end_time)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryFinalInfo'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswerEx(TLObject):
    """TL constructor `proxy.queryAnswerEx request_id:int256 answer:bytes flags:# final_info:flags.0?proxy.queryFinalInfo = proxy.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswerEx'
    TL_ID: ClassVar[int] = 0x1ce574e8
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('answer', 'bytes', None, None), ('flags', '#', None, None), ('final_info', 'proxy.queryFinalInfo', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('final_info',)),)}

    request_id: bytes
    answer: bytes
    flags: int | None = None  # computed from the fields present when None
    final_info: ProxyQueryFinalInfo | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.bytes(self.answer)
        w.flags(self.flags)
        if self.flags & 1:
            w.bare(self.final_info, ProxyQueryFinalInfo)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswerEx:
        try:
            f_request_id = r.raw(32)
            f_answer = r.bytes()
            f_flags = r.flags()
            f_final_info = ProxyQueryFinalInfo._read(r) if f_flags & 1 else None
            return cls(request_id=f_request_id, answer=f_answer, flags=f_flags, final_info=f_final_info)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswerEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswerErrorEx(TLObject):
    """TL constructor `proxy.queryAnswerErrorEx request_id:int256 error_code:int error:string flags:# final_info:flags.0?proxy.queryFinalInfo = proxy.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswerErrorEx'
    TL_ID: ClassVar[int] = 0x8f7fb0a7
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('error_code', 'int', None, None), ('error', 'string', None, None), ('flags', '#', None, None), ('final_info', 'proxy.queryFinalInfo', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('final_info',)),)}

    request_id: bytes
    error_code: int
    error: str
    flags: int | None = None  # computed from the fields present when None
    final_info: ProxyQueryFinalInfo | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.int(self.error_code)
        w.string(self.error)
        w.flags(self.flags)
        if self.flags & 1:
            w.bare(self.final_info, ProxyQueryFinalInfo)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswerErrorEx:
        try:
            f_request_id = r.raw(32)
            f_error_code = r.int()
            f_error = r.string()
            f_flags = r.flags()
            f_final_info = ProxyQueryFinalInfo._read(r) if f_flags & 1 else None
            return cls(request_id=f_request_id, error_code=f_error_code, error=f_error, flags=f_flags, final_info=f_final_info)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswerErrorEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyQueryAnswerPartEx(TLObject):
    """TL constructor `proxy.queryAnswerPartEx request_id:int256 answer:bytes flags:# final_info:flags.0?proxy.queryFinalInfo = proxy.QueryAnswerEx`."""

    TL_NAME: ClassVar[str] = 'proxy.queryAnswerPartEx'
    TL_ID: ClassVar[int] = 0x6d85b50f
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswerEx'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('answer', 'bytes', None, None), ('flags', '#', None, None), ('final_info', 'proxy.queryFinalInfo', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('final_info',)),)}

    request_id: bytes
    answer: bytes
    flags: int | None = None  # computed from the fields present when None
    final_info: ProxyQueryFinalInfo | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.bytes(self.answer)
        w.flags(self.flags)
        if self.flags & 1:
            w.bare(self.final_info, ProxyQueryFinalInfo)

    @classmethod
    def _read(cls, r: Reader) -> ProxyQueryAnswerPartEx:
        try:
            f_request_id = r.raw(32)
            f_answer = r.bytes()
            f_flags = r.flags()
            f_final_info = ProxyQueryFinalInfo._read(r) if f_flags & 1 else None
            return cls(request_id=f_request_id, answer=f_answer, flags=f_flags, final_info=f_final_info)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.queryAnswerPartEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyWorkerRequestPayment(TLObject):
    """TL constructor `proxy.workerRequestPayment request_id:int256 signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long request_tokens:long request_client_owner:string = proxy.WorkerRequestPayment`."""

    TL_NAME: ClassVar[str] = 'proxy.workerRequestPayment'
    TL_ID: ClassVar[int] = 0x1436c0d5
    TL_TYPE: ClassVar[str] = 'proxy.WorkerRequestPayment'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None), ('signed_payment', 'proxy.SignedPayment', None, None), ('db_tokens', 'long', None, None), ('max_tokens', 'long', None, None), ('request_tokens', 'long', None, None), ('request_client_owner', 'string', None, None))

    request_id: bytes
    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    db_tokens: int
    max_tokens: int
    request_tokens: int
    request_client_owner: str

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.db_tokens)
        w.long(self.max_tokens)
        w.long(self.request_tokens)
        w.string(self.request_client_owner)

    @classmethod
    def _read(cls, r: Reader) -> ProxyWorkerRequestPayment:
        try:
            f_request_id = r.raw(32)
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_db_tokens = r.long()
            f_max_tokens = r.long()
            f_request_tokens = r.long()
            f_request_client_owner = r.string()
            return cls(request_id=f_request_id, signed_payment=f_signed_payment, db_tokens=f_db_tokens, max_tokens=f_max_tokens, request_tokens=f_request_tokens, request_client_owner=f_request_client_owner)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.workerRequestPayment'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyRunQuery(TLObject):
    """TL function `proxy.runQuery query:bytes signed_payment:proxy.SignedPayment coefficient:long timeout:double request_id:int256 = proxy.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'proxy.runQuery'
    TL_ID: ClassVar[int] = 0x47182416
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('query', 'bytes', None, None), ('signed_payment', 'proxy.SignedPayment', None, None), ('coefficient', 'long', None, None), ('timeout', 'double', None, None), ('request_id', 'int256', None, None))

    query: bytes
    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    coefficient: int
    timeout: float
    request_id: bytes

    def _write(self, w: Writer) -> None:
        w.bytes(self.query)
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.coefficient)
        w.double(self.timeout)
        w.raw(self.request_id, 32)

    @classmethod
    def _read(cls, r: Reader) -> ProxyRunQuery:
        try:
            f_query = r.bytes()
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_coefficient = r.long()
            f_timeout = r.double()
            f_request_id = r.raw(32)
            return cls(query=f_query, signed_payment=f_signed_payment, coefficient=f_coefficient, timeout=f_timeout, request_id=f_request_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.runQuery'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProxyRunQueryEx(TLObject):
    """TL function `proxy.runQueryEx query:bytes signed_payment:proxy.SignedPayment coefficient:long timeout:double request_id:int256 flags:# enable_debug:flags.0?Bool = proxy.QueryAnswer`."""

    TL_NAME: ClassVar[str] = 'proxy.runQueryEx'
    TL_ID: ClassVar[int] = 0xc805e7e2
    TL_TYPE: ClassVar[str] = 'proxy.QueryAnswer'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('query', 'bytes', None, None), ('signed_payment', 'proxy.SignedPayment', None, None), ('coefficient', 'long', None, None), ('timeout', 'double', None, None), ('request_id', 'int256', None, None), ('flags', '#', None, None), ('enable_debug', 'Bool', 'flags', 0))
    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {'flags': ((0, ('enable_debug',)),)}

    query: bytes
    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    coefficient: int
    timeout: float
    request_id: bytes
    flags: int | None = None  # computed from the fields present when None
    enable_debug: bool | None = None

    def __attrs_post_init__(self) -> None:
        resolve_flags(self)

    def _write(self, w: Writer) -> None:
        w.bytes(self.query)
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.coefficient)
        w.double(self.timeout)
        w.raw(self.request_id, 32)
        w.flags(self.flags)
        if self.flags & 1:
            w.bool(self.enable_debug)

    @classmethod
    def _read(cls, r: Reader) -> ProxyRunQueryEx:
        try:
            f_query = r.bytes()
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_coefficient = r.long()
            f_timeout = r.double()
            f_request_id = r.raw(32)
            f_flags = r.flags()
            f_enable_debug = r.bool() if f_flags & 1 else None
            return cls(query=f_query, signed_payment=f_signed_payment, coefficient=f_coefficient, timeout=f_timeout, request_id=f_request_id, flags=f_flags, enable_debug=f_enable_debug)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'proxy.runQueryEx'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerEnabledDisabled(TLObject):
    """TL constructor `worker.enabledDisabled disabled:int = worker.EnabledDisabled`."""

    TL_NAME: ClassVar[str] = 'worker.enabledDisabled'
    TL_ID: ClassVar[int] = 0xb3b71039
    TL_TYPE: ClassVar[str] = 'worker.EnabledDisabled'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('disabled', 'int', None, None),)

    disabled: int

    def _write(self, w: Writer) -> None:
        w.int(self.disabled)

    @classmethod
    def _read(cls, r: Reader) -> WorkerEnabledDisabled:
        try:
            f_disabled = r.int()
            return cls(disabled=f_disabled)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.enabledDisabled'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerNewCoefficient(TLObject):
    """TL constructor `worker.newCoefficient new_coefficient:int = worker.NewCoefficient`."""

    TL_NAME: ClassVar[str] = 'worker.newCoefficient'
    TL_ID: ClassVar[int] = 0x6af092b0
    TL_TYPE: ClassVar[str] = 'worker.NewCoefficient'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('new_coefficient', 'int', None, None),)

    new_coefficient: int

    def _write(self, w: Writer) -> None:
        w.int(self.new_coefficient)

    @classmethod
    def _read(cls, r: Reader) -> WorkerNewCoefficient:
        try:
            f_new_coefficient = r.int()
            return cls(new_coefficient=f_new_coefficient)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.newCoefficient'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerConnectedToProxy(TLObject):
    """TL constructor `worker.connectedToProxy params:proxy.params worker_sc_address:string = worker.ConnectedToProxy`."""

    TL_NAME: ClassVar[str] = 'worker.connectedToProxy'
    TL_ID: ClassVar[int] = 0x66bc82ee
    TL_TYPE: ClassVar[str] = 'worker.ConnectedToProxy'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('params', 'proxy.params', None, None), ('worker_sc_address', 'string', None, None))

    params: ProxyParams
    worker_sc_address: str

    def _write(self, w: Writer) -> None:
        w.bare(self.params, ProxyParams)
        w.string(self.worker_sc_address)

    @classmethod
    def _read(cls, r: Reader) -> WorkerConnectedToProxy:
        try:
            f_params = ProxyParams._read(r)
            f_worker_sc_address = r.string()
            return cls(params=f_params, worker_sc_address=f_worker_sc_address)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.connectedToProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerCompareBalanceWithProxyResult(TLObject):
    """TL constructor `worker.compareBalanceWithProxyResult signed_payment:proxy.SignedPayment tokens_committed_to_db:long max_tokens:long error_code:int = worker.CompareBalanceWithProxyResult`."""

    TL_NAME: ClassVar[str] = 'worker.compareBalanceWithProxyResult'
    TL_ID: ClassVar[int] = 0x9054c411
    TL_TYPE: ClassVar[str] = 'worker.CompareBalanceWithProxyResult'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('signed_payment', 'proxy.SignedPayment', None, None), ('tokens_committed_to_db', 'long', None, None), ('max_tokens', 'long', None, None), ('error_code', 'int', None, None))

    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    tokens_committed_to_db: int
    max_tokens: int
    error_code: int

    def _write(self, w: Writer) -> None:
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.tokens_committed_to_db)
        w.long(self.max_tokens)
        w.int(self.error_code)

    @classmethod
    def _read(cls, r: Reader) -> WorkerCompareBalanceWithProxyResult:
        try:
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_tokens_committed_to_db = r.long()
            f_max_tokens = r.long()
            f_error_code = r.int()
            return cls(signed_payment=f_signed_payment, tokens_committed_to_db=f_tokens_committed_to_db, max_tokens=f_max_tokens, error_code=f_error_code)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.compareBalanceWithProxyResult'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerExtendedCompareBalanceWithProxyResult(TLObject):
    """TL constructor `worker.extendedCompareBalanceWithProxyResult error_code:int = worker.ExtendedCompareBalanceWithProxyResult`."""

    TL_NAME: ClassVar[str] = 'worker.extendedCompareBalanceWithProxyResult'
    TL_ID: ClassVar[int] = 0x0c10973e
    TL_TYPE: ClassVar[str] = 'worker.ExtendedCompareBalanceWithProxyResult'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('error_code', 'int', None, None),)

    error_code: int

    def _write(self, w: Writer) -> None:
        w.int(self.error_code)

    @classmethod
    def _read(cls, r: Reader) -> WorkerExtendedCompareBalanceWithProxyResult:
        try:
            f_error_code = r.int()
            return cls(error_code=f_error_code)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.extendedCompareBalanceWithProxyResult'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerProxyHandshakeCompleted(TLObject):
    """TL constructor `worker.proxyHandshakeCompleted = worker.HandshakeCompleted`."""

    TL_NAME: ClassVar[str] = 'worker.proxyHandshakeCompleted'
    TL_ID: ClassVar[int] = 0x3ad9b886
    TL_TYPE: ClassVar[str] = 'worker.HandshakeCompleted'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> WorkerProxyHandshakeCompleted:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerPaymentStatus(TLObject):
    """TL constructor `worker.paymentStatus signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long = worker.PaymentStatus`."""

    TL_NAME: ClassVar[str] = 'worker.paymentStatus'
    TL_ID: ClassVar[int] = 0xa88bd701
    TL_TYPE: ClassVar[str] = 'worker.PaymentStatus'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('signed_payment', 'proxy.SignedPayment', None, None), ('db_tokens', 'long', None, None), ('max_tokens', 'long', None, None))

    signed_payment: ProxySignedPayment | ProxySignedPaymentEmpty
    db_tokens: int
    max_tokens: int

    def _write(self, w: Writer) -> None:
        w.boxed(self.signed_payment, _BOXED_PROXYSIGNEDPAYMENT)
        w.long(self.db_tokens)
        w.long(self.max_tokens)

    @classmethod
    def _read(cls, r: Reader) -> WorkerPaymentStatus:
        try:
            f_signed_payment = r.boxed(_BOXED_PROXYSIGNEDPAYMENT_BY_ID, 'proxy.SignedPayment')
            f_db_tokens = r.long()
            f_max_tokens = r.long()
            return cls(signed_payment=f_signed_payment, db_tokens=f_db_tokens, max_tokens=f_max_tokens)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.paymentStatus'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerConnectToProxy(TLObject):
    """TL function `worker.connectToProxy params:worker.params = worker.ConnectedToProxy`."""

    TL_NAME: ClassVar[str] = 'worker.connectToProxy'
    TL_ID: ClassVar[int] = 0xcc484c5d
    TL_TYPE: ClassVar[str] = 'worker.ConnectedToProxy'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('params', 'worker.params', None, None),)

    params: WorkerParams

    def _write(self, w: Writer) -> None:
        w.bare(self.params, WorkerParams)

    @classmethod
    def _read(cls, r: Reader) -> WorkerConnectToProxy:
        try:
            f_params = WorkerParams._read(r)
            return cls(params=f_params)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.connectToProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerCompareBalanceWithProxy(TLObject):
    """TL function `worker.compareBalanceWithProxy tokens_committed_to_blockchain:long tokens_committed_to_db:long max_tokens:long = worker.CompareBalanceWithProxyResult`."""

    TL_NAME: ClassVar[str] = 'worker.compareBalanceWithProxy'
    TL_ID: ClassVar[int] = 0xdb386501
    TL_TYPE: ClassVar[str] = 'worker.CompareBalanceWithProxyResult'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('tokens_committed_to_blockchain', 'long', None, None), ('tokens_committed_to_db', 'long', None, None), ('max_tokens', 'long', None, None))

    tokens_committed_to_blockchain: int
    tokens_committed_to_db: int
    max_tokens: int

    def _write(self, w: Writer) -> None:
        w.long(self.tokens_committed_to_blockchain)
        w.long(self.tokens_committed_to_db)
        w.long(self.max_tokens)

    @classmethod
    def _read(cls, r: Reader) -> WorkerCompareBalanceWithProxy:
        try:
            f_tokens_committed_to_blockchain = r.long()
            f_tokens_committed_to_db = r.long()
            f_max_tokens = r.long()
            return cls(tokens_committed_to_blockchain=f_tokens_committed_to_blockchain, tokens_committed_to_db=f_tokens_committed_to_db, max_tokens=f_max_tokens)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.compareBalanceWithProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerExtendedCompareBalanceWithProxy(TLObject):
    """TL function `worker.extendedCompareBalanceWithProxy tokens_committed_to_db:long other:bytes = worker.ExtendedCompareBalanceWithProxyResult`."""

    TL_NAME: ClassVar[str] = 'worker.extendedCompareBalanceWithProxy'
    TL_ID: ClassVar[int] = 0xf8dd9914
    TL_TYPE: ClassVar[str] = 'worker.ExtendedCompareBalanceWithProxyResult'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('tokens_committed_to_db', 'long', None, None), ('other', 'bytes', None, None))

    tokens_committed_to_db: int
    other: bytes

    def _write(self, w: Writer) -> None:
        w.long(self.tokens_committed_to_db)
        w.bytes(self.other)

    @classmethod
    def _read(cls, r: Reader) -> WorkerExtendedCompareBalanceWithProxy:
        try:
            f_tokens_committed_to_db = r.long()
            f_other = r.bytes()
            return cls(tokens_committed_to_db=f_tokens_committed_to_db, other=f_other)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.extendedCompareBalanceWithProxy'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerProxyHandshakeComplete(TLObject):
    """TL function `worker.proxyHandshakeComplete is_disabled:Bool = worker.HandshakeCompleted`."""

    TL_NAME: ClassVar[str] = 'worker.proxyHandshakeComplete'
    TL_ID: ClassVar[int] = 0xf843b066
    TL_TYPE: ClassVar[str] = 'worker.HandshakeCompleted'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('is_disabled', 'Bool', None, None),)

    is_disabled: bool

    def _write(self, w: Writer) -> None:
        w.bool(self.is_disabled)

    @classmethod
    def _read(cls, r: Reader) -> WorkerProxyHandshakeComplete:
        try:
            f_is_disabled = r.bool()
            return cls(is_disabled=f_is_disabled)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'worker.proxyHandshakeComplete'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkerUpdatePaymentStatus(TLObject):
    """TL function `worker.updatePaymentStatus = worker.PaymentStatus`."""

    TL_NAME: ClassVar[str] = 'worker.updatePaymentStatus'
    TL_ID: ClassVar[int] = 0xdc70a524
    TL_TYPE: ClassVar[str] = 'worker.PaymentStatus'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def _write(self, w: Writer) -> None:
        pass

    @classmethod
    def _read(cls, r: Reader) -> WorkerUpdatePaymentStatus:
        return cls()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerPrivateKey(TLObject):
    """TL constructor `keyManager.privateKey valid_until_utime:int private_key:int256 = keyManager.PrivateKey`."""

    TL_NAME: ClassVar[str] = 'keyManager.privateKey'
    TL_ID: ClassVar[int] = 0x60f4f8e7
    TL_TYPE: ClassVar[str] = 'keyManager.PrivateKey'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('valid_until_utime', 'int', None, None), ('private_key', 'int256', None, None))

    valid_until_utime: int
    private_key: bytes

    def _write(self, w: Writer) -> None:
        w.int(self.valid_until_utime)
        w.raw(self.private_key, 32)

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerPrivateKey:
        try:
            f_valid_until_utime = r.int()
            f_private_key = r.raw(32)
            return cls(valid_until_utime=f_valid_until_utime, private_key=f_private_key)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyManager.privateKey'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerPrivateKeys(TLObject):
    """TL constructor `keyManager.privateKeys keys:vector keyManager.privateKey = keyManager.PrivateKeys`."""

    TL_NAME: ClassVar[str] = 'keyManager.privateKeys'
    TL_ID: ClassVar[int] = 0x0ed66ce5
    TL_TYPE: ClassVar[str] = 'keyManager.PrivateKeys'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('keys', 'vector keyManager.privateKey', None, None),)

    keys: tuple[KeyManagerPrivateKey, ...] = attrs.field(converter=tuple)

    def _write(self, w: Writer) -> None:
        w.uint(len(self.keys))
        for item in self.keys:
            w.bare(item, KeyManagerPrivateKey)

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerPrivateKeys:
        try:
            f_keys = tuple([KeyManagerPrivateKey._read(r) for _ in range(r.vector_count(36))])
            return cls(keys=f_keys)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyManager.privateKeys'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerGetWorkerPrivateKeys(TLObject):
    """TL function `keyManager.getWorkerPrivateKeys min_config_version:int = keyManager.PrivateKeys`."""

    TL_NAME: ClassVar[str] = 'keyManager.getWorkerPrivateKeys'
    TL_ID: ClassVar[int] = 0x2a26eff5
    TL_TYPE: ClassVar[str] = 'keyManager.PrivateKeys'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('min_config_version', 'int', None, None),)

    min_config_version: int

    def _write(self, w: Writer) -> None:
        w.int(self.min_config_version)

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerGetWorkerPrivateKeys:
        try:
            f_min_config_version = r.int()
            return cls(min_config_version=f_min_config_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyManager.getWorkerPrivateKeys'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KeyManagerGetProxyPrivateKeys(TLObject):
    """TL function `keyManager.getProxyPrivateKeys min_config_version:int = keyManager.PrivateKeys`."""

    TL_NAME: ClassVar[str] = 'keyManager.getProxyPrivateKeys'
    TL_ID: ClassVar[int] = 0x47a9c2de
    TL_TYPE: ClassVar[str] = 'keyManager.PrivateKeys'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('min_config_version', 'int', None, None),)

    min_config_version: int

    def _write(self, w: Writer) -> None:
        w.int(self.min_config_version)

    @classmethod
    def _read(cls, r: Reader) -> KeyManagerGetProxyPrivateKeys:
        try:
            f_min_config_version = r.int()
            return cls(min_config_version=f_min_config_version)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'keyManager.getProxyPrivateKeys'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class HttpHeader(TLObject):
    """TL constructor `http.header name:string value:string = http.Header`."""

    TL_NAME: ClassVar[str] = 'http.header'
    TL_ID: ClassVar[int] = 0x8e9be511
    TL_TYPE: ClassVar[str] = 'http.Header'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('name', 'string', None, None), ('value', 'string', None, None))

    name: str
    value: str

    def _write(self, w: Writer) -> None:
        w.string(self.name)
        w.string(self.value)

    @classmethod
    def _read(cls, r: Reader) -> HttpHeader:
        try:
            f_name = r.string()
            f_value = r.string()
            return cls(name=f_name, value=f_value)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'http.header'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class HttpResponse(TLObject):
    """TL constructor `http.response http_version:string status_code:int reason:string headers:vector http.header payload:bytes = http.Response`."""

    TL_NAME: ClassVar[str] = 'http.response'
    TL_ID: ClassVar[int] = 0x1cd0c42b
    TL_TYPE: ClassVar[str] = 'http.Response'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('http_version', 'string', None, None), ('status_code', 'int', None, None), ('reason', 'string', None, None), ('headers', 'vector http.header', None, None), ('payload', 'bytes', None, None))

    http_version: str
    status_code: int
    reason: str
    headers: tuple[HttpHeader, ...] = attrs.field(converter=tuple)
    payload: bytes

    def _write(self, w: Writer) -> None:
        w.string(self.http_version)
        w.int(self.status_code)
        w.string(self.reason)
        w.uint(len(self.headers))
        for item in self.headers:
            w.bare(item, HttpHeader)
        w.bytes(self.payload)

    @classmethod
    def _read(cls, r: Reader) -> HttpResponse:
        try:
            f_http_version = r.string()
            f_status_code = r.int()
            f_reason = r.string()
            f_headers = tuple([HttpHeader._read(r) for _ in range(r.vector_count(8))])
            f_payload = r.bytes()
            return cls(http_version=f_http_version, status_code=f_status_code, reason=f_reason, headers=f_headers, payload=f_payload)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'http.response'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class HttpRequest(TLObject):
    """TL function `http.request method:string url:string http_version:string headers:vector http.header payload:bytes = http.Response`."""

    TL_NAME: ClassVar[str] = 'http.request'
    TL_ID: ClassVar[int] = 0x47492de5
    TL_TYPE: ClassVar[str] = 'http.Response'
    TL_FUNCTION: ClassVar[bool] = True
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('method', 'string', None, None), ('url', 'string', None, None), ('http_version', 'string', None, None), ('headers', 'vector http.header', None, None), ('payload', 'bytes', None, None))

    method: str
    url: str
    http_version: str
    headers: tuple[HttpHeader, ...] = attrs.field(converter=tuple)
    payload: bytes

    def _write(self, w: Writer) -> None:
        w.string(self.method)
        w.string(self.url)
        w.string(self.http_version)
        w.uint(len(self.headers))
        for item in self.headers:
            w.bare(item, HttpHeader)
        w.bytes(self.payload)

    @classmethod
    def _read(cls, r: Reader) -> HttpRequest:
        try:
            f_method = r.string()
            f_url = r.string()
            f_http_version = r.string()
            f_headers = tuple([HttpHeader._read(r) for _ in range(r.vector_count(8))])
            f_payload = r.bytes()
            return cls(method=f_method, url=f_url, http_version=f_http_version, headers=f_headers, payload=f_payload)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'http.request'
            raise


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CocoonExtCancelQuery(TLObject):
    """TL constructor `cocoonExt.cancelQuery request_id:int256 = cocoonExt.Control`."""

    TL_NAME: ClassVar[str] = 'cocoonExt.cancelQuery'
    TL_ID: ClassVar[int] = 0x9005ad32
    TL_TYPE: ClassVar[str] = 'cocoonExt.Control'
    TL_FUNCTION: ClassVar[bool] = False
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = (('request_id', 'int256', None, None),)

    request_id: bytes

    def _write(self, w: Writer) -> None:
        w.raw(self.request_id, 32)

    @classmethod
    def _read(cls, r: Reader) -> CocoonExtCancelQuery:
        try:
            f_request_id = r.raw(32)
            return cls(request_id=f_request_id)
        except TLDecodeError as e:
            if e.type_name is None:
                e.type_name = 'cocoonExt.cancelQuery'
            raise


# Constructors of each boxed (polymorphic) type used as a field.
_BOXED_CLIENTPROXYCONNECTIONAUTH = (ClientProxyConnectionAuthShort, ClientProxyConnectionAuthLong,)
_BOXED_CLIENTPROXYCONNECTIONAUTH_BY_ID = {c.TL_ID: c for c in _BOXED_CLIENTPROXYCONNECTIONAUTH}
_BOXED_PROXYSIGNEDPAYMENT = (ProxySignedPayment, ProxySignedPaymentEmpty,)
_BOXED_PROXYSIGNEDPAYMENT_BY_ID = {c.TL_ID: c for c in _BOXED_PROXYSIGNEDPAYMENT}
_BOXED_ROOTCONFIGCONFIG = (RootConfigPseudo, RootConfigConfigV5,)
_BOXED_ROOTCONFIGCONFIG_BY_ID = {c.TL_ID: c for c in _BOXED_ROOTCONFIGCONFIG}

ALL_CLASSES: tuple[type[TLObject], ...] = (
    TcpPing,
    TcpPong,
    TcpPacket,
    TcpQueryAnswer,
    TcpQueryError,
    TcpQuery,
    TcpConnected,
    TcpConnect,
    TonBlockIdExt,
    TestAnswer,
    TestQuery,
    ProxyRunnerConfig,
    WorkerRunnerConfig,
    ClientRunnerConfig,
    KeyStorageRunnerConfig,
    RootConfigRegisteredProxy,
    RootConfigPseudo,
    RootConfigConfigV5,
    ProxyDbClientInfo,
    ProxyDbClientInfoV2,
    ProxyDbWorkerInfo,
    ProxyDbPendingBlockchainSeqnoCommit,
    ProxyDbConfigEmpty,
    ProxyDbConfigV4,
    ProxyDbConfigV4Disabled,
    ProxyDbOldClient,
    ProxyDbOldWorker,
    ProxyDbOldInstance,
    KeyManagerDbConfigEmpty,
    KeyManagerDbConfigV1,
    KeyManagerDbKey,
    TokensUsed,
    WorkerParams,
    ProxyParams,
    ClientParams,
    ClientProxyConnectionAuthShort,
    ClientProxyConnectionAuthLong,
    ClientAuthorizationWithProxySuccess,
    ClientAuthorizationWithProxyFailed,
    ClientConnectedToProxy,
    ClientQueryAnswer,
    ClientQueryAnswerError,
    ClientQueryAnswerPart,
    ClientQueryAnswerPartError,
    ClientQueryFinalInfo,
    ClientQueryAnswerEx,
    ClientQueryAnswerErrorEx,
    ClientQueryAnswerPartEx,
    ClientRefund,
    ClientRefundRejected,
    ClientWorkerType,
    ClientWorkerTypes,
    ClientWorkerInstanceV2,
    ClientWorkerTypeV2,
    ClientWorkerTypesV2,
    ClientPaymentStatus,
    ProxyClientRequestPayment,
    ClientConnectToProxy,
    ClientAuthorizeWithProxyShort,
    ClientAuthorizeWithProxyLong,
    ClientRunQuery,
    ClientRunQueryEx,
    ClientRequestRefund,
    ClientUpdatePaymentStatus,
    ClientGetWorkerTypes,
    ClientGetWorkerTypesV2,
    ProxySignedPayment,
    ProxySignedPaymentEmpty,
    ProxyQueryAnswer,
    ProxyQueryAnswerError,
    ProxyQueryAnswerPart,
    ProxyQueryAnswerPartError,
    ProxyQueryFinalInfo,
    ProxyQueryAnswerEx,
    ProxyQueryAnswerErrorEx,
    ProxyQueryAnswerPartEx,
    ProxyWorkerRequestPayment,
    ProxyRunQuery,
    ProxyRunQueryEx,
    WorkerEnabledDisabled,
    WorkerNewCoefficient,
    WorkerConnectedToProxy,
    WorkerCompareBalanceWithProxyResult,
    WorkerExtendedCompareBalanceWithProxyResult,
    WorkerProxyHandshakeCompleted,
    WorkerPaymentStatus,
    WorkerConnectToProxy,
    WorkerCompareBalanceWithProxy,
    WorkerExtendedCompareBalanceWithProxy,
    WorkerProxyHandshakeComplete,
    WorkerUpdatePaymentStatus,
    KeyManagerPrivateKey,
    KeyManagerPrivateKeys,
    KeyManagerGetWorkerPrivateKeys,
    KeyManagerGetProxyPrivateKeys,
    HttpHeader,
    HttpResponse,
    HttpRequest,
    CocoonExtCancelQuery,
)
BY_ID.update({c.TL_ID: c for c in ALL_CLASSES})
BY_NAME: dict[str, type[TLObject]] = {c.TL_NAME: c for c in ALL_CLASSES}
