"""Reading the job's tables without Spark: DuckDB over Delta (through delta-rs) and the file sink.

What ``tunestream query``, the dashboard and the benchmarks read; nothing here imports PySpark
(the job, which writes the tables, is :mod:`tunestream.spark`).
"""
