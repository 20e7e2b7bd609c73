"""Entry point for ``spark-submit`` (and ``python -m tunestream.spark.submit``).

    spark-submit --master spark://host:7077 \\
        --jars "$(ls build/jars/spark/*.jar | paste -sd, -)" \\
        src/tunestream/spark/submit.py [--config tunestream.yaml] [--once]

Under spark-submit the JVM exists before Python runs, so ``--jars`` must name the connector and
Delta jars there; the settings' ``spark.master`` is overridden by ``--master`` when given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tunestream.config import load_settings
from tunestream.errors import TunestreamError
from tunestream.spark.runner import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tunestream-spark", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="YAML config file")
    parser.add_argument(
        "--once", action="store_true", help="process what the topics hold now, then stop"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run(load_settings(args.config), once=args.once)
    except TunestreamError as exc:
        print(f"tunestream: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
