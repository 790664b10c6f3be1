"""pgserver.py — a throwaway PostgreSQL server for the tests.

    srv = PgServer().start()          # initdb in a temp dir, postgres on a free loopback port
    url = srv.create_database("t1")   # -> "postgres://portico@127.0.0.1:PORT/t1"
    srv.restart() / srv.stop() / srv.kill() / srv.cleanup()

Uses Debian's `postgresql` package (tools/deps.sh installs it): the server
binaries live in /usr/lib/postgresql/VERSION/bin. The cluster trusts local
connections (loopback TCP and a Unix socket inside the temp dir) for the
superuser `portico`, keeps nothing durable (fsync off: it is thrown away),
and listens on 127.0.0.1 only. initdb and postgres refuse to run as root,
so when the tests run as root both run as the `postgres` user (created by
the Debian package) on a temp dir owned by it.

Databases are created and dropped with the package's psql; the black-box
fixture (tests/blackbox/portico.py) calls create_database_at / drop_database_at
with a server URL passed down in PORTICO_TEST_PG (see tests/run.py).
Python 3 standard library only.
"""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

USER = "portico"


def bindir():
    """The newest installed server's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _run_as():
    """(uid, gid) for the server when running as root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise AssertionError("running as root but there is no 'postgres' user (install Debian's postgresql)")
    return pw.pw_uid, pw.pw_gid


def psql(base_url, db, sql, timeout=30, check=True):
    """Runs sql through psql against base_url (postgres://user@host:port)
    and database db; returns stdout (unaligned, tuples only)."""
    b = bindir()
    exe = os.path.join(b, "psql") if b else shutil.which("psql")
    assert exe, "psql not found (install Debian's postgresql)"
    cp = subprocess.run([exe, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "%s/%s" % (base_url, db),
                         "-c", sql], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=timeout, env=dict(os.environ, PGCONNECT_TIMEOUT="5"))
    if check and cp.returncode != 0:
        raise AssertionError("psql %r failed: %s" % (sql, cp.stderr.decode("utf-8", "replace")))
    return cp.stdout.decode("utf-8", "replace")


def create_database_at(base_url, name):
    """Creates database name (dropping any old one); returns its URL."""
    psql(base_url, "postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    psql(base_url, "postgres", "CREATE DATABASE \"%s\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C'"
         " LC_CTYPE 'C' STRATEGY FILE_COPY" % name)
    return "%s/%s" % (base_url, name)


def drop_database_at(base_url, name):
    psql(base_url, "postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, check=False)


class PgServer:
    def __init__(self, port=None, max_connections=400):
        self.bin = bindir()
        self.port = port
        self.max_connections = max_connections
        self.tmp = None
        self.proc = None

    @property
    def base_url(self):
        return "postgres://%s@127.0.0.1:%d" % (USER, self.port)

    def url(self, db):
        return "%s/%s" % (self.base_url, db)

    def _popen_kw(self):
        ids = _run_as()
        kw = {"stdin": subprocess.DEVNULL, "env": dict(os.environ, LC_ALL="C", LANG="C")}
        if ids:
            kw.update(user=ids[0], group=ids[1], extra_groups=[])
        return kw

    def start(self, timeout=60):
        assert self.bin, "PostgreSQL server binaries not found under /usr/lib/postgresql (tools/deps.sh installs postgresql)"
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="portico-pg-")
            os.chmod(self.tmp, 0o700)
            ids = _run_as()
            if ids:
                os.chown(self.tmp, ids[0], ids[1])
            self.data = os.path.join(self.tmp, "data")
            self.sock = os.path.join(self.tmp, "sock")
            self.log = os.path.join(self.tmp, "postgres.log")
            os.mkdir(self.sock)
            if ids:
                os.chown(self.sock, ids[0], ids[1])
            cp = subprocess.run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", USER, "--auth=trust",
                                 "-E", "UTF8", "--locale=C", "--no-sync"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, **self._popen_kw())
            assert cp.returncode == 0, "initdb failed:\n%s" % cp.stdout.decode("utf-8", "replace")[-3000:]
        for _attempt in range(3):
            if self.port is None:
                self.port = _free_port()
            self._spawn()
            if self._wait_ready(timeout):
                return self
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError("postgres did not accept connections within %ss\n%s" % (timeout, self.tail()))
            if "in use" not in self.tail():
                break
            self.port = None
        raise AssertionError("postgres exited during start-up\n%s" % self.tail())

    def _spawn(self):
        argv = [os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(self.port), "-k", self.sock,
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=%d" % self.max_connections,
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning", "-c", "logging_collector=off"]
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._logf, stderr=subprocess.STDOUT, **self._popen_kw())

    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                psql(self.base_url, "postgres", "SELECT 1", timeout=10)
                return True
            except (OSError, AssertionError, subprocess.TimeoutExpired):
                time.sleep(0.1)
        return False

    def tail(self, n=3000):
        try:
            with open(self.log, "r", errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def create_database(self, name):
        return create_database_at(self.base_url, name)

    def drop_database(self, name):
        drop_database_at(self.base_url, name)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30):
        """Fast shutdown (SIGINT): active sessions are ended, then the
        server exits cleanly."""
        if self.running():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def kill(self):
        """SIGKILL of the postmaster (its backends exit when they notice)."""
        if self.running():
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def restart(self, down_s=0.0, timeout=60):
        """Stops (fast), stays down down_s seconds, starts on the same port."""
        self.stop()
        if down_s:
            time.sleep(down_s)
        return self.start(timeout)

    def _close_log(self):
        f = getattr(self, "_logf", None)
        if f and not f.closed:
            f.close()

    def cleanup(self):
        self.stop()
        if self.tmp and os.environ.get("PORTICO_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None

    # The black-box registry (tests/blackbox/portico.py) calls _cleanup().
    def _cleanup(self):
        self.cleanup()
        return []

    def diagnostics(self):
        t = self.tail()
        return "--- tail of postgres log (%s):\n%s" % (self.log, t) if t else ""


if __name__ == "__main__":
    # Manual check: start, create a database, print its URL, stop on Enter.
    srv = PgServer().start()
    print(srv.create_database("manual"))
    try:
        input("running; Enter stops it\n")
    finally:
        srv.cleanup()
