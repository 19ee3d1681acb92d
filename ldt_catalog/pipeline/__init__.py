"""The one pipeline of build, validate and publish (``stages``), where the catalogue lives between
its stages (``store``: memory or a spool folder; ``index_store``: the first pass's index), and the
output files of a build (``outputs``)."""
