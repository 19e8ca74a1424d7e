# Shared set-up steps for scripts/test.sh and scripts/demo.sh (sourced, not run).

APT_DEMO_PACKAGES=(
    python3 python3-venv python3-dev gcc pkg-config swig libpcsclite-dev
    pcscd vsmartcard-vpcd openssl
    libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libegl1 libgl1 libxkbcommon-x11-0 fonts-noto-core
    libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1
)
APT_TEST_PACKAGES=(
    "${APT_DEMO_PACKAGES[@]}"
    opensc yubico-piv-tool softhsm2 redis-server
    xvfb xauth trayer dunst xdotool imagemagick x11-utils dbus dbus-x11 gnome-keyring libnss3-tools
    chromium poppler-utils util-linux procps iproute2
    wixl msitools osslsigncode
)

install_system_packages() {
    local kind=$1 packages
    if [[ $kind == test ]]; then packages=("${APT_TEST_PACKAGES[@]}"); else packages=("${APT_DEMO_PACKAGES[@]}"); fi
    local missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "== apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

install_python_environment() {
    local kind=$1
    if [[ ! -x .venv/bin/python ]]; then
        python3 -m venv .venv
    fi
    .venv/bin/python -m pip install -q --upgrade pip
    if [[ $kind == test ]]; then
        .venv/bin/python -m pip install -q -e "./protocol[redis]" -e ./agent -r requirements-dev.txt \
            -r examples/portal/requirements.txt
    else
        .venv/bin/python -m pip install -q -e ./protocol -e ./agent -r examples/portal/requirements.txt
    fi
}

install_js_dependencies() {
    # The machine may carry its own Node.js build (which bundles npm); only fall back to Debian's.
    if ! command -v npm >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    if [[ -f protocol/js/package.json ]]; then
        (cd protocol/js && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
}

run_js_tests() {
    if [[ -f protocol/js/package.json ]]; then
        (cd protocol/js && npm test --silent)
    fi
}
