"""Profiles: reading a profile (YAML or JSON) and handing it to the core, which validates and
compiles it once per run, and what Python reads back of the compiled profile.

load.py (the Profile, loading and compiling) is the entrance; marks.py keeps where each node of the
text is, basic.py the Basic Profile's settings and keys.py its key, document.py the document's
shape, rules.py the compiled rules and `filenames:` templates, builtin/ the profiles that ship with
fastdeid. coverage.py (`profile coverage`) and enhanced.py (`profile validate --enhanced`) hold a
profile against sample files. Nothing here imports from the packages that run jobs.
"""
