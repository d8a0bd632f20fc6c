# Every server has the one shape servers/template.py shows: its protocol and client in
# servers/api/<name>.py (importable without the driver or the hardware layer), CONFIG
# with its settings' defaults, main(name="<name>", **config) that serves through
# servers.lib.base.serve (which releases its hardware through impl.close() however it ends).
# A host test (CPython): it reads signatures and sources.
import inspect
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# servers/ holds tasks only: what they share is in servers/lib/, their clients in api/
SERVERS = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "servers"))
                 if f.endswith(".py") and f != "__init__.py")


def test_the_servers_are_the_ones_expected():
    assert "template" in SERVERS and "gpio" in SERVERS and "supervisor" in SERVERS, SERVERS
    assert "base" not in SERVERS and os.path.exists(os.path.join(ROOT, "servers", "lib", "base.py"))
    assert set(SERVERS) == set(f[:-3] for f in os.listdir(os.path.join(ROOT, "servers", "api"))
                               if f.endswith(".py") and f != "__init__.py")


@pytest.mark.parametrize("name", SERVERS)
def test_server_has_the_template_shape(name):
    mod = __import__("servers." + name, fromlist=["main"])
    api = __import__("servers.api." + name, fromlist=["client"])
    assert mod.PROTOCOL is api.PROTOCOL, "%s: PROTOCOL must come from servers/api/%s.py" % (name, name)
    assert callable(api.client) and not hasattr(mod, "client"), name
    assert type(mod.CONFIG) is dict, name
    params = list(inspect.signature(mod.main).parameters.values())
    assert [p.kind for p in params] == [inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        inspect.Parameter.VAR_KEYWORD], (name, params)
    assert params[0].name == "name" and params[0].default == ("counter" if name == "template" else name)
    src = inspect.getsource(mod.main)
    assert "configure(CONFIG, config, name)" in src, name
    assert "serve(PROTOCOL" in src, "%s: serve through servers.lib.base.serve" % name
    assert "finally" not in src, "%s: release hardware in close(), serve() calls it" % name
    c = mod.__dict__.get("claims")
    assert c is None or not hasattr(c, "board_of"), name


def test_a_server_refuses_an_unknown_setting():
    from servers import log

    with pytest.raises(ValueError) as e:
        next(log.main(colour="red"))
    assert "unknown config key 'colour'" in str(e.value)


def test_client_modules_load_no_driver_and_no_hardware():
    code = ("import sys\n"
            "from servers.api import %s\n"
            "bad = [m for m in sys.modules if m == 'hal' or m == 'boards' or "
            "(m.startswith('servers.') and not m.startswith('servers.api') and m not in ('servers.lib', 'servers.lib.base'))]\n"
            "print(bad)\n") % ", ".join(SERVERS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT), check=True).stdout
    assert out.strip() == "[]", out
