.PHONY: demo test setup bench lint format

demo:   ## set up and run the main job (integration vs fragmentation, 5 replications)
	bash scripts/demo.sh

test:   ## set up, lint and run the tests (CI=true adds the slow statistical suites)
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

bench:  ## speed and memory benchmarks (prints figures)
	bash scripts/setup.sh && .venv/bin/python benchmarks/bench_model.py

lint:
	.venv/bin/ruff check simulation tests benchmarks setup.py && .venv/bin/ruff format --check simulation tests benchmarks setup.py && .venv/bin/lint-imports --no-cache

format:
	.venv/bin/ruff format simulation tests benchmarks setup.py && .venv/bin/ruff check --fix simulation tests benchmarks setup.py
