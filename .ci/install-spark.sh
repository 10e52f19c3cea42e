#!/usr/bin/env bash
# Install what `chujing scan --engine spark` and tests/lake/test_spark.py need: a Java runtime
# (Debian's default-jre-headless, else openjdk-17-jre-headless) and PySpark in the venv (the
# `spark` extra). Idempotent: does nothing when `java` and pyspark are already there. Without
# root it cannot apt-get Java: it says so and exits 0, and the Spark tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_PY="${VENV:-.venv}/bin/python"

if command -v java >/dev/null 2>&1; then
    echo "install-spark: $(java -version 2>&1 | head -n 1)"
elif [ "$(id -u)" != "0" ]; then
    echo "install-spark: no java and not root, cannot apt-get a JRE; the Spark tests will skip"
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null 2>&1 \
        || apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
    echo "install-spark: installed $(java -version 2>&1 | head -n 1)"
fi

if [ -x "$VENV_PY" ]; then
    if "$VENV_PY" -c "import pyspark" >/dev/null 2>&1; then
        echo "install-spark: pyspark $("$VENV_PY" -c 'import pyspark; print(pyspark.__version__)') already installed"
    else
        # The project's extra when pyproject declares it, else PySpark itself.
        if grep -q '^spark *=' pyproject.toml; then
            "$VENV_PY" -m pip install -q --disable-pip-version-check -e '.[spark]'
        else
            "$VENV_PY" -m pip install -q --disable-pip-version-check 'pyspark>=4.0'
        fi
        echo "install-spark: pyspark $("$VENV_PY" -c 'import pyspark; print(pyspark.__version__)') installed"
    fi
else
    echo "install-spark: no venv at ${VENV:-.venv} yet; \`make test\` installs the spark extra"
fi
