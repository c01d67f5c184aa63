"""``dockvenv bulk``: the single-repo migration as one branch and pull request per repository.

Bulk knows git and forges, not Dockerfiles: each repository goes through the very
same ``read_project -> build_plan -> apply.write`` pipeline as ``dockvenv migrate
--yes``, and what happened to it comes back as an ``Outcome`` value.

- ``repos``    the repository list (file lines, ``--org`` listings) as ``RepoRef`` values
- ``git``      the only module that runs git (hooks off on every call, token never persisted)
- ``http``     the forge HTTP client: retries, rate limits, pacing, token redaction
- ``forge``    the narrow forge interface; ``github`` and ``gitlab`` implement it
- ``body``     the commit message and pull request text (pure)
- ``repo``     one repository, end to end, to an ``Outcome``
- ``runner``   many repositories concurrently, progress, Ctrl-C, exit code
- ``report``   the JSON report (``"version": 1``) and the summary table
"""
