# Shared by bin/run and bin/test: a virtualenv with the project and its tools, system packages
# where we may install them. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

install_system_packages() {
  # WeasyPrint is 3-5x slower without libharfbuzz-subset0; the browser tests need Chromium.
  local wanted=("$@") missing=()
  command -v dpkg-query >/dev/null 2>&1 || return 0
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      say "Paquets système manquants (${missing[*]}) : installez-les avec apt-get install ${missing[*]}"
      return 0
    fi
  fi
  say "Installation des paquets système : ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

setup_venv() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Création de l'environnement Python (.venv)"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "Installation des dépendances Python (journal : var/pip.log)"
    mkdir -p var
    if ! { "$VENV/bin/python" -m pip install --upgrade pip \
           && "$VENV/bin/python" -m pip install -e ".[$extras]"; } >var/pip.log 2>&1; then
      tail -n 30 var/pip.log >&2
      echo "L'installation des dépendances a échoué (détails : var/pip.log)." >&2
      exit 1
    fi
    touch "$stamp"
  fi
}
