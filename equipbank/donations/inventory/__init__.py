"""Donations declared by uploading the inventory export of a donor's IT asset tool.

`reader` reads and checks the file without the database; `services` keeps the upload and
turns it into a donation; `views`, `tasks` and `cli` drive it from the pages, the job queue
and the command line.
"""
