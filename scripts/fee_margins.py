#!/usr/bin/env python3
"""What the values the roles attach to on-chain messages pay for, with mainnet fees (issue 14).

    python scripts/fee_margins.py            # mainnet's prices and our contracts' measured gas
    python scripts/fee_margins.py --scale 3  # every gas and forwarding price three times higher

Runs the network's life cycle once on the embedded chain (`cocoon.ton.embedded.margins`) and
prints, per operation, the value attached, the fees its whole message chain consumed, the
margin between them and what came back as excess; then each contract's own balance against
its storage fee per year, and what a CocoonWallet pays out of its own balance. Amounts in
nano-TON. tests/ton/test_attached_values.py asserts the margins this prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cocoon.ton.embedded.fees import MAINNET_FEES
from cocoon.ton.embedded.margins import format_report, measure_margins, scaled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=1, help="multiply mainnet's gas and forwarding prices"
    )
    args = parser.parse_args()
    print(format_report(measure_margins(scaled(MAINNET_FEES, args.scale))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
