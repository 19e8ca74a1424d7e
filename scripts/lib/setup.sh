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

# The JS client's tests and tools need Node.js >= 20 (protocol/js/package.json "engines").  Debian 12
# ships Node 18, so when the machine has no Node >= 20 the suite takes Node's own Linux build from the
# npm registry (the node-linux-<arch> package, fetched with Debian's npm) and npm 10 beside it, in a
# cache outside the repository.  JS_NODE_VERSION and JS_NPM_VERSION are the versions it installs.
JS_NODE_VERSION=22.23.5
JS_NPM_VERSION=10.9.9
JS_NODE_MINIMUM_MAJOR=20

node_major_version() {
    node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'
}

install_js_dependencies() {
    local major
    major=$(node_major_version)
    if [[ -z $major || $major -lt $JS_NODE_MINIMUM_MAJOR ]] || ! command -v npm >/dev/null; then
        use_registry_node
    fi
    if [[ -f protocol/js/package.json ]]; then
        (cd protocol/js && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
}

use_registry_node() {
    local architecture prefix
    case $(uname -m) in
        x86_64) architecture=x64 ;;
        aarch64) architecture=arm64 ;;
        *) echo "no Node.js build on the npm registry for $(uname -m)" >&2; return 1 ;;
    esac
    prefix=${XDG_CACHE_HOME:-$HOME/.cache}/bitaqa/node-$JS_NODE_VERSION-npm-$JS_NPM_VERSION
    if [[ ! -x $prefix/bin/node || ! -x $prefix/bin/npm ]]; then
        echo "== Node.js $JS_NODE_VERSION and npm $JS_NPM_VERSION from the npm registry into $prefix"
        if [[ ! -x /usr/bin/npm ]]; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
        fi
        rm -rf "$prefix.partial"
        /usr/bin/npm install --global --prefix "$prefix.partial" --no-audit --no-fund --loglevel=error \
            "node-linux-$architecture@$JS_NODE_VERSION" "npm@$JS_NPM_VERSION" >/dev/null
        rm -rf "$prefix"
        mv "$prefix.partial" "$prefix"
    fi
    export PATH="$prefix/bin:$PATH"
}

run_js_tests() {
    if [[ -f protocol/js/package.json ]]; then
        (cd protocol/js && npm test --silent)
    fi
}
