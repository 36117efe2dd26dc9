"""Jobs: a list of inputs de-identified with one profile into one destination by the core, and the
run front end over it (`fastdeid run`, `deid test`, `fastdeid.run()`, `fastdeid.process()`).

job.py (Job, Input, Engine, process) and naming.py (how outputs are named) are the job API;
runner.py is `run` (plan.py plans the pairs, walk.py walks the tree, resume.py finishes what a
killed run left, report.py counts the results, chunks.py does what every front end does between
chunks, destination.py tells a folder from an archive's URL); deid_log.py writes the deid log,
fsync.py makes names durable, temporaries.py clears what dead runs left, subjects.py holds an
ingest's subject codes, progress.py draws the terminal's bar, trial.py is `deid test`. cluster.py
runs the chunks on a Dask cluster, and cluster_names.py settles the names that workers decide from
de-identified values. This package imports profile/, never ingest/, net/ or cli/.
"""
