# The two commands of the README: `make figures` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv figures test bench clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

figures: $(STAMP)
	MPLBACKEND=Agg $(PY) -m refsnn.figures

test: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -q --durations=25

bench: $(STAMP)
	$(PY) -m benchmarks
	$(PY) -m benchmarks.costs
	$(PY) -m benchmarks.costs --extended
	$(PY) -m benchmarks.grading

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
