# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint check-deploy format clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@

# The portal with demo data on the embedded default: SQLite, and a Celery worker with beat
# on a broker kept in files under var/. Open http://127.0.0.1:8000/
run: install
	mkdir -p var/broker
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py demo_data
	trap 'kill 0' EXIT INT TERM; \
	DEBUG=true $(BIN)/celery -A portal worker --beat --pool=solo --loglevel=INFO & \
	DEBUG=true $(BIN)/python manage.py runserver $${PORT:-8000}

# The test suite; DATABASE_URL and REDIS_URL, when set, point it at PostgreSQL and Redis.
test: install
	scripts/ensure-test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

# The deploy checks with a production-like environment: no warnings allowed.
check-deploy: install
	DEBUG=false SECRET_KEY="ci-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
	ALLOWED_HOSTS=portaal.example.nl EMAIL_URL=smtp://localhost:25 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
