"""Ingest: a tree de-identified and laid out as DEST/group/project/subject/session/acquisition/file
(`fastdeid ingest dicom|template`, docs/profiles.md#ingest-profiles).

runner.py is the ingest: one core job over the items (items.py: found by walking SRC or by the
config's template, template.py), its deid log, mappings and subject map. config.py reads the config
file, project.py keeps a project's own profile, profile_choice.py decides which profile applies,
labels.py names the header values the labels come from. This package runs on jobs/ and profile/,
never on net/ or cli/.
"""
