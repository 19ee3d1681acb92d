from ldt_catalog.cli import run

run()
