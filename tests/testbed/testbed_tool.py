#!/usr/bin/python3
"""Helper for tests/testbed/testbed.sh (stdlib only; run with /usr/bin/python3).

Subcommands:
  free-port                 print a free TCP port on 127.0.0.1
  mirror                    print the Debian mirror URI from the apt sources
  mutate-layer2 ROOTFS REC  apply the layer-2 changes to ROOTFS, record them in REC
  prepare-opaque SRC TARGET ROOTFS REC
                            build the source dir for `umoci insert --opaque`
                            and record the change in REC
  make-index ...            build an OCI layout whose index.json points to an
                            image index (multi-platform, optionally nested)
  expected ...              write expected.json
  check ...                 verify expected.json against a layout and an
                            unpacked root file system
"""

import argparse
import datetime
import gzip
import io
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REF_ANN = "org.opencontainers.image.ref.name"


def log(msg):
    print("[testbed_tool] " + msg, file=sys.stderr, flush=True)


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=False).encode()


def write_json_file(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- free-port
def cmd_free_port(_args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


# ------------------------------------------------------------------- mirror
def cmd_mirror(args):
    suite = args.suite
    found = []
    d = "/etc/apt/sources.list.d"
    files = []
    if os.path.isdir(d):
        files = [os.path.join(d, n) for n in sorted(os.listdir(d))]
    files.insert(0, "/etc/apt/sources.list")
    for path in files:
        try:
            text = open(path).read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    k, v = line.split(":", 1)
                    fields[k.strip().lower()] = v.split()
                if "deb" not in fields.get("types", []):
                    continue
                if fields.get("enabled", ["yes"])[0].lower() == "no":
                    continue
                if suite not in fields.get("suites", []):
                    continue
                found.extend(fields.get("uris", []))
        elif path.endswith(".list"):
            for line in text.splitlines():
                parts = line.split("#", 1)[0].split()
                if len(parts) >= 3 and parts[0] == "deb":
                    rest = parts[1:]
                    if rest[0].startswith("["):
                        while rest and not rest[0].endswith("]"):
                            rest = rest[1:]
                        rest = rest[1:]
                    if len(rest) >= 2 and rest[1] == suite:
                        found.append(rest[0])
    for uri in found:
        if uri.startswith(("http://", "https://")):
            print(uri.rstrip("/"))
            return
    print("http://deb.debian.org/debian")


# ------------------------------------------------------------ layer changes
def norm(name):
    """Tar member name -> image-absolute path ("./a/b/" -> "/a/b")."""
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    return "/" + name if name not in ("", ".") else "/"


def rel(root, path):
    return os.path.join(root, path.lstrip("/"))


def list_tree(root, path):
    """All descendants of PATH (image-absolute), sorted, image-absolute."""
    base = rel(root, path)
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            out.append("/" + os.path.relpath(full, root))
    return sorted(out)


def load_record(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"changes": []}


def write_file(root, path, content, mode):
    full = rel(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(content)
    os.chmod(full, mode)
    return {"sha256": sha256_bytes(content), "size": len(content), "mode": "%04o" % mode}


HELLO = b"Hello from the Bulkhead test bed!\n"
ISSUE_NET = b"Bulkhead test bed (modified in layer 1)\n"
PROCPS_README = b"The procps docs were deleted and this directory recreated by the Bulkhead test bed.\n"
OPENSSL_README = b"The openssl docs were hidden by an opaque whiteout (Bulkhead test bed).\n"
SUID_DEMO = b"#!/bin/sh\necho 'setuid demo file of the Bulkhead test bed'\n"


def cmd_mutate_layer2(args):
    root, layer = args.rootfs, args.layer
    rec = load_record(args.record)
    ch = rec["changes"]

    def need(path, kind):
        full = rel(root, path)
        ok = {"file": os.path.isfile, "dir": os.path.isdir}[kind](full) and not os.path.islink(full)
        if not ok:
            die("expected %s %s in the base root file system" % (kind, path))

    # 1. delete a regular file
    need("/etc/motd", "file")
    os.unlink(rel(root, "/etc/motd"))
    ch.append({"layer": layer, "op": "delete", "type": "file", "path": "/etc/motd"})

    # 2. delete a whole directory (umoci writes a whiteout for the directory)
    need("/etc/update-motd.d", "dir")
    removed = list_tree(root, "/etc/update-motd.d")
    shutil.rmtree(rel(root, "/etc/update-motd.d"))
    ch.append({"layer": layer, "op": "delete", "type": "dir", "path": "/etc/update-motd.d",
               "removed": removed})

    # 3. delete a directory and recreate it with different content
    need("/usr/share/doc/procps", "dir")
    removed = list_tree(root, "/usr/share/doc/procps")
    shutil.rmtree(rel(root, "/usr/share/doc/procps"))
    os.mkdir(rel(root, "/usr/share/doc/procps"), 0o755)
    meta = write_file(root, "/usr/share/doc/procps/README.bulkhead", PROCPS_README, 0o644)
    ch.append({"layer": layer, "op": "replace_dir", "path": "/usr/share/doc/procps",
               "removed": removed, "entries": ["README.bulkhead"],
               "files": [dict(path="/usr/share/doc/procps/README.bulkhead", **meta)]})

    # 4. modify a file from layer 0
    need("/etc/issue.net", "file")
    old = sha256_file(rel(root, "/etc/issue.net"))
    meta = write_file(root, "/etc/issue.net", ISSUE_NET, 0o644)
    ch.append(dict({"layer": layer, "op": "modify", "type": "file", "path": "/etc/issue.net",
                    "old_sha256": old}, **meta))

    # 5. new files, links, an empty directory, a setuid file
    os.makedirs(rel(root, "/opt/bulkhead"), exist_ok=True)
    os.chmod(rel(root, "/opt/bulkhead"), 0o755)
    ch.append({"layer": layer, "op": "add", "type": "dir", "path": "/opt/bulkhead", "mode": "0755"})
    meta = write_file(root, "/opt/bulkhead/hello.txt", HELLO, 0o644)
    ch.append(dict({"layer": layer, "op": "add", "type": "file", "path": "/opt/bulkhead/hello.txt"}, **meta))
    os.symlink("hello.txt", rel(root, "/opt/bulkhead/hello-link"))
    ch.append({"layer": layer, "op": "add", "type": "symlink", "path": "/opt/bulkhead/hello-link",
               "target": "hello.txt", "resolves_to": "/opt/bulkhead/hello.txt"})
    os.makedirs(rel(root, "/usr/local/bin"), exist_ok=True)
    os.symlink("/opt/bulkhead/hello.txt", rel(root, "/usr/local/bin/bulkhead-hello"))
    ch.append({"layer": layer, "op": "add", "type": "symlink", "path": "/usr/local/bin/bulkhead-hello",
               "target": "/opt/bulkhead/hello.txt", "resolves_to": "/opt/bulkhead/hello.txt"})
    os.link(rel(root, "/opt/bulkhead/hello.txt"), rel(root, "/opt/bulkhead/hello-hardlink.txt"))
    ch.append({"layer": layer, "op": "add", "type": "hardlink", "path": "/opt/bulkhead/hello-hardlink.txt",
               "link_to": "/opt/bulkhead/hello.txt", "sha256": sha256_bytes(HELLO)})
    os.mkdir(rel(root, "/opt/bulkhead/empty-dir"), 0o755)
    ch.append({"layer": layer, "op": "add", "type": "dir", "path": "/opt/bulkhead/empty-dir", "mode": "0755",
               "entries": []})
    meta = write_file(root, "/opt/bulkhead/suid-demo.sh", SUID_DEMO, 0o4755)
    ch.append(dict({"layer": layer, "op": "add", "type": "file", "path": "/opt/bulkhead/suid-demo.sh",
                    "setuid": True}, **meta))

    write_json_file(args.record, rec)


def cmd_prepare_opaque(args):
    src, target, root = args.src, args.target, args.rootfs
    rec = load_record(args.record)
    if not os.path.isdir(rel(root, target)):
        die("expected directory %s in the base root file system" % target)
    removed = list_tree(root, target)
    if os.path.exists(src):
        shutil.rmtree(src)
    os.makedirs(src)
    os.chmod(src, 0o755)
    meta = write_file(src, "/README.bulkhead", OPENSSL_README, 0o644)
    rec["changes"].append({"layer": args.layer, "op": "opaque_dir", "path": target,
                           "removed": removed, "entries": ["README.bulkhead"],
                           "files": [dict(path=target + "/README.bulkhead", **meta)]})
    write_json_file(args.record, rec)


# ----------------------------------------------------------------- layouts
class Layout:
    def __init__(self, path):
        self.path = path

    def blob_path(self, digest):
        algo, hexd = digest.split(":", 1)
        return os.path.join(self.path, "blobs", algo, hexd)

    def read_blob(self, digest):
        with open(self.blob_path(digest), "rb") as f:
            data = f.read()
        if "sha256:" + sha256_bytes(data) != digest:
            die("blob %s in %s does not match its digest" % (digest, self.path))
        return data

    def read_json_blob(self, digest):
        return json.loads(self.read_blob(digest))

    def index(self):
        with open(os.path.join(self.path, "index.json")) as f:
            return json.load(f)

    def resolve(self, ref):
        descs = [d for d in self.index()["manifests"]
                 if d.get("annotations", {}).get(REF_ANN) == ref]
        if len(descs) != 1:
            die("layout %s: expected one descriptor for ref %r, found %d" % (self.path, ref, len(descs)))
        return descs[0]

    def image(self, ref):
        """(manifest descriptor, manifest, config) of an image-manifest ref."""
        desc = self.resolve(ref)
        if desc["mediaType"] != MT_MANIFEST:
            die("layout %s ref %s is %s, not an image manifest" % (self.path, ref, desc["mediaType"]))
        man = self.read_json_blob(desc["digest"])
        cfg = self.read_json_blob(man["config"]["digest"])
        return desc, man, cfg

    def put_blob(self, data):
        digest = "sha256:" + sha256_bytes(data)
        p = self.blob_path(digest)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if not os.path.exists(p):
            with open(p + ".tmp", "wb") as f:
                f.write(data)
            os.replace(p + ".tmp", p)
        return digest

    def link_blob_from(self, other, digest):
        dst = self.blob_path(digest)
        if os.path.exists(dst):
            return
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        try:
            os.link(other.blob_path(digest), dst)
        except OSError:
            shutil.copy2(other.blob_path(digest), dst)

    def init(self):
        os.makedirs(os.path.join(self.path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(self.path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')


def copy_tree_blobs(src, dst, desc):
    """Copy every blob reachable from DESC from layout SRC into layout DST."""
    dst.link_blob_from(src, desc["digest"])
    if desc["mediaType"] == MT_INDEX:
        for d in src.read_json_blob(desc["digest"])["manifests"]:
            copy_tree_blobs(src, dst, d)
    elif desc["mediaType"] == MT_MANIFEST:
        man = src.read_json_blob(desc["digest"])
        for d in [man["config"]] + man["layers"]:
            dst.link_blob_from(src, d["digest"])
    else:
        die("unsupported media type %s" % desc["mediaType"])


def cmd_make_index(args):
    """make-index --out DIR --ref NAME --image LAYOUT:REF ... | --wrap LAYOUT:REF"""
    out = Layout(args.out)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    out.init()
    if args.wrap:
        # nested: a new index whose only entry is the (index) ref of another layout
        path, ref = args.wrap.rsplit(":", 1)
        src = Layout(path)
        inner = src.resolve(ref)
        if inner["mediaType"] != MT_INDEX:
            die("--wrap needs an index ref")
        copy_tree_blobs(src, out, inner)
        entry = {k: inner[k] for k in ("mediaType", "digest", "size")}
        entry["annotations"] = {"org.opencontainers.image.title": "inner index (nested)"}
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [entry],
                 "annotations": {"org.opencontainers.image.title": "bulkhead-testbed nested index"}}
    else:
        entries = []
        for spec in args.image:
            path, ref = spec.rsplit(":", 1)
            src = Layout(path)
            desc, man, cfg = src.image(ref)
            copy_tree_blobs(src, out, desc)
            plat = {"architecture": cfg["architecture"], "os": cfg["os"]}
            if cfg.get("variant"):
                plat["variant"] = cfg["variant"]
            entries.append({"mediaType": MT_MANIFEST, "digest": desc["digest"],
                            "size": desc["size"], "platform": plat})
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries,
                 "annotations": {"org.opencontainers.image.title": "bulkhead-testbed multi-platform index"}}
    data = jdump(index)
    digest = out.put_blob(data)
    top = {"schemaVersion": 2, "mediaType": MT_INDEX,
           "manifests": [{"mediaType": MT_INDEX, "digest": digest, "size": len(data),
                          "annotations": {REF_ANN: args.ref}}]}
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(jdump(top))
    print(digest)


def cmd_append_layer(args):
    """Append a gzip layer holding SRC at TARGET, with an opaque whiteout in TARGET.

    Written by hand because `umoci insert` (0.4.7) emits tar streams without the
    final padding and end-of-archive blocks, which strict tar readers reject.
    Entry order: TARGET/, TARGET/.wh..wh..opq, then SRC's content.
    """
    lay = Layout(args.layout)
    desc, man, cfg = lay.image(args.ref)
    target = args.target.strip("/")

    def normalize(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        tf.add(args.src, arcname=target, recursive=False, filter=normalize)
        wh = tarfile.TarInfo(target + "/.wh..wh..opq")
        wh.mode, wh.mtime, wh.uname, wh.gname = 0, 0, "root", "root"
        tf.addfile(wh)
        for dirpath, dirnames, filenames in os.walk(args.src):
            dirnames.sort()
            for n in sorted(dirnames + filenames):
                full = os.path.join(dirpath, n)
                tf.add(full, arcname=target + "/" + os.path.relpath(full, args.src),
                       recursive=False, filter=normalize)
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar_bytes)
    layer_digest = lay.put_blob(gz.getvalue())
    man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                          "digest": layer_digest, "size": len(gz.getvalue())})
    cfg["rootfs"]["diff_ids"].append("sha256:" + sha256_bytes(tar_bytes))
    cfg.setdefault("history", []).append({
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "created_by": args.created_by, "comment": args.comment})
    cfg_data = jdump(cfg)
    man["config"] = dict(man["config"], digest=lay.put_blob(cfg_data), size=len(cfg_data))
    man_data = jdump(man)
    man_digest = lay.put_blob(man_data)
    index = lay.index()
    for d in index["manifests"]:
        if d.get("annotations", {}).get(REF_ANN) == args.ref:
            d["digest"], d["size"] = man_digest, len(man_data)
    with open(os.path.join(args.layout, "index.json.tmp"), "wb") as f:
        f.write(jdump(index))
    os.replace(os.path.join(args.layout, "index.json.tmp"), os.path.join(args.layout, "index.json"))


# ------------------------------------------------------- layer tar reading
class HashingReader:
    def __init__(self, raw):
        self.raw = raw
        self.h = hashlib.sha256()

    def read(self, n=-1):
        data = self.raw.read(n)
        self.h.update(data)
        return data

    def drain(self):
        while self.read(1 << 20):
            pass


def open_layer(layout, layer_desc):
    """Return (stream of the uncompressed tar, closer)."""
    path = layout.blob_path(layer_desc["digest"])
    mt = layer_desc["mediaType"]
    if mt.endswith("+gzip") or mt.endswith(".gzip"):
        f = gzip.open(path, "rb")
        return f, f.close
    if mt.endswith("+zstd"):
        p = subprocess.Popen(["zstd", "-dcq", path], stdout=subprocess.PIPE)

        def close():
            p.stdout.close()
            if p.wait() != 0:
                die("zstd -d failed for %s" % path)
        return p.stdout, close
    if mt.endswith(".tar") or mt.endswith(".tar+uncompressed") or mt.endswith("rootfs.diff.tar"):
        f = open(path, "rb")
        return f, f.close
    die("unsupported layer media type %s" % mt)


def scan_layer(layout, layer_desc):
    """Read one layer: diff_id, entry count, whiteouts, opaque dirs, special entries."""
    stream, close = open_layer(layout, layer_desc)
    hr = HashingReader(stream)
    info = {"entries": 0, "whiteouts": [], "opaque_dirs": [], "hardlinks": [], "symlinks": [],
            "devices": [], "setuid": []}
    with tarfile.open(fileobj=hr, mode="r|") as tf:
        for m in tf:
            info["entries"] += 1
            name = norm(m.name)
            base = os.path.basename(name)
            d = os.path.dirname(name)
            if base == ".wh..wh..opq":
                info["opaque_dirs"].append(d)
            elif base.startswith(".wh."):
                info["whiteouts"].append(os.path.join(d, base[4:]))
            elif m.islnk():
                info["hardlinks"].append({"path": name, "link_to": norm(m.linkname)})
            elif m.issym():
                info["symlinks"].append({"path": name, "target": m.linkname})
            elif m.ischr() or m.isblk():
                info["devices"].append(name)
            if m.isfile() and m.mode & stat.S_ISUID:
                info["setuid"].append(name)
    hr.drain()
    close()
    info["diff_id"] = "sha256:" + hr.h.hexdigest()
    for k in ("whiteouts", "opaque_dirs", "devices", "setuid"):
        info[k].sort()
    return info


# ---------------------------------------------------------------- expected
def parse_os_release(root):
    for p in ("/etc/os-release", "/usr/lib/os-release"):
        full = rel(root, p)
        if os.path.islink(full):
            t = os.readlink(full)
            full = rel(root, t) if t.startswith("/") else os.path.join(os.path.dirname(full), t)
        if os.path.isfile(full):
            out = {}
            for line in open(full):
                line = line.strip()
                if "=" in line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    out[k] = v.strip('"')
            return out
    return {}


def parse_dpkg_status(root):
    path = rel(root, "/var/lib/dpkg/status")
    pkgs = []
    if not os.path.exists(path):
        return pkgs
    for stanza in re.split(r"\n\s*\n", open(path, encoding="utf-8").read()):
        f = {}
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            f[k] = v.strip()
        if "Package" in f:
            p = {"name": f["Package"], "version": f.get("Version", ""),
                 "architecture": f.get("Architecture", ""), "status": f.get("Status", "")}
            if "Source" in f:
                p["source"] = f["Source"]
            pkgs.append(p)
    return sorted(pkgs, key=lambda p: (p["name"], p["architecture"]))


def merged_view(changes):
    absent, files, symlinks, hardlinks, dirs = [], [], [], [], []
    for c in changes:
        op = c["op"]
        if op == "delete":
            absent.append(c["path"])
            absent.extend(c.get("removed", []))
        elif op in ("replace_dir", "opaque_dir"):
            keep = {c["path"] + "/" + e for e in c["entries"]}
            absent.extend(p for p in c["removed"] if p not in keep)
            dirs.append({"path": c["path"], "entries": sorted(c["entries"])})
            files.extend(c["files"])
        elif op == "modify" or (op == "add" and c["type"] == "file"):
            files.append({k: c[k] for k in ("path", "sha256", "size", "mode")})
        elif op == "add" and c["type"] == "symlink":
            symlinks.append({k: c[k] for k in ("path", "target", "resolves_to")})
        elif op == "add" and c["type"] == "hardlink":
            hardlinks.append({k: c[k] for k in ("path", "link_to", "sha256")})
        elif op == "add" and c["type"] == "dir" and "entries" in c:
            dirs.append({"path": c["path"], "entries": c["entries"]})
    return {"absent": sorted(set(absent)), "files": files, "symlinks": symlinks,
            "hardlinks": hardlinks, "dirs": dirs}


def layout_summary(path, ref):
    lay = Layout(path)
    desc = lay.resolve(ref)
    out = {"path": os.path.abspath(path), "ref": ref, "media_type": desc["mediaType"],
           "digest": desc["digest"], "size": desc["size"]}
    if desc["mediaType"] == MT_MANIFEST:
        man = lay.read_json_blob(desc["digest"])
        out["config_digest"] = man["config"]["digest"]
        out["layers"] = [{"mediaType": l["mediaType"], "digest": l["digest"], "size": l["size"]}
                         for l in man["layers"]]
    return out


def index_summary(path, ref):
    lay = Layout(path)
    desc = lay.resolve(ref)
    out = {"path": os.path.abspath(path), "ref": ref, "digest": desc["digest"], "levels": []}
    d = desc
    while d["mediaType"] == MT_INDEX:
        idx = lay.read_json_blob(d["digest"])
        out["levels"].append({"digest": d["digest"],
                              "manifests": [{k: m[k] for k in ("mediaType", "digest", "platform") if k in m}
                                            for m in idx["manifests"]]})
        if len(idx["manifests"]) == 1 and idx["manifests"][0]["mediaType"] == MT_INDEX:
            d = idx["manifests"][0]
        else:
            break
    return out


def docker_archive_manifest(path):
    with tarfile.open(path) as tf:
        return json.load(tf.extractfile("manifest.json"))


def cmd_expected(args):
    rec = load_record(args.record)
    lay = Layout(args.oci)
    desc, man, cfg = lay.image(args.ref)
    layers = []
    descs_by_layer = {}
    for c in rec["changes"]:
        descs_by_layer.setdefault(c["layer"], []).append(c["op"] + " " + c["path"])
    for i, (ld, diff_id) in enumerate(zip(man["layers"], cfg["rootfs"]["diff_ids"])):
        info = scan_layer(lay, ld)
        if info["diff_id"] != diff_id:
            die("layer %d diff_id mismatch" % i)
        layers.append({"index": i, "digest": ld["digest"], "mediaType": ld["mediaType"], "size": ld["size"],
                       "diff_id": diff_id, "entries": info["entries"], "whiteouts": info["whiteouts"],
                       "opaque_dirs": info["opaque_dirs"], "devices": info["devices"],
                       "setuid": info["setuid"],
                       "hardlinks": info["hardlinks"] if i > 0 else [],
                       "symlinks": info["symlinks"] if i > 0 else [],
                       "changes": descs_by_layer.get(i, ["debootstrap root file system"] if i == 0 else [])})
    c = cfg.get("config", {})
    arm = Layout(args.foreign_layout)
    fdesc, fman, fcfg = arm.image(args.foreign_ref)
    exp = {
        "schema": 1,
        "image": {
            "layout": os.path.abspath(args.oci), "ref": args.ref,
            "docker_reference": args.docker_ref,
            "manifest_digest": desc["digest"], "config_digest": man["config"]["digest"],
            "architecture": cfg["architecture"], "os": cfg["os"],
            "layer_count": len(man["layers"]),
            "diff_ids": cfg["rootfs"]["diff_ids"],
            "manifest_annotations": man.get("annotations", {}),
            "config": {
                "User": c.get("User", ""), "Env": c.get("Env", []),
                "Entrypoint": c.get("Entrypoint", []), "Cmd": c.get("Cmd", []),
                "WorkingDir": c.get("WorkingDir", ""),
                "ExposedPorts": sorted(c.get("ExposedPorts", {}).keys()),
                "Volumes": sorted(c.get("Volumes", {}).keys()),
                "Labels": c.get("Labels", {}), "StopSignal": c.get("StopSignal", ""),
            },
            "author": cfg.get("author", ""),
            "history": cfg.get("history", []),
        },
        "os_release": {k: v for k, v in parse_os_release(args.rootfs).items()
                       if k in ("ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME", "NAME")},
        "packages": parse_dpkg_status(args.rootfs),
        "layers": layers,
        "changes": rec["changes"],
        "merged": merged_view(rec["changes"]),
        "layouts": {
            "oci": layout_summary(args.oci, args.ref),
            "oci-zstd": layout_summary(args.oci_zstd, args.ref),
            "oci-plain": layout_summary(args.oci_plain, args.ref),
            "multi": index_summary(args.multi, "multi"),
            "nested": index_summary(args.nested, "nested"),
        },
        "foreign_image": {
            "layout": os.path.abspath(args.foreign_layout), "ref": args.foreign_ref,
            "manifest_digest": fdesc["digest"], "config_digest": fman["config"]["digest"],
            "architecture": fcfg["architecture"], "os": fcfg["os"],
            "layer_count": len(fman["layers"]),
            "marker_files": args.foreign_marker,
            "debootstrap": "first stage only (--foreign): packages unpacked, not configured",
        },
        "archives": {
            "docker_archive": {"path": os.path.abspath(args.docker_archive), "reference": args.docker_ref,
                               "manifest_json": docker_archive_manifest(args.docker_archive)},
            "oci_archive": {"path": os.path.abspath(args.oci_archive), "ref": args.ref},
        },
    }
    write_json_file(args.out, exp)


# ------------------------------------------------------------------- check
class Checker:
    def __init__(self):
        self.ok = 0
        self.failures = []

    def expect(self, cond, what):
        if cond:
            self.ok += 1
        else:
            self.failures.append(what)
            log("FAIL: " + what)


def check_layout(ck, exp, path, ref, with_layers):
    lay = Layout(path)
    desc, man, cfg = lay.image(ref)
    img = exp["image"]
    tag = "[%s] " % os.path.basename(path.rstrip("/"))
    ck.expect(cfg["rootfs"]["diff_ids"] == img["diff_ids"], tag + "diff_ids equal expected")
    ck.expect(len(man["layers"]) == img["layer_count"], tag + "layer count")
    ck.expect(cfg["architecture"] == img["architecture"] and cfg["os"] == img["os"], tag + "platform")
    c = cfg.get("config", {})
    ec = img["config"]
    defaults = {"User": "", "Env": [], "Entrypoint": [], "Cmd": [], "WorkingDir": "", "Labels": {},
                "StopSignal": ""}
    for k, dflt in defaults.items():
        ck.expect(c.get(k, dflt) == ec[k], tag + "config %s" % k)
    ck.expect(sorted(c.get("ExposedPorts", {}).keys()) == ec["ExposedPorts"], tag + "config ExposedPorts")
    ck.expect(sorted(c.get("Volumes", {}).keys()) == ec["Volumes"], tag + "config Volumes")
    ck.expect("8080/tcp" in c.get("ExposedPorts", {}), tag + "8080/tcp exposed")
    ck.expect(img["layer_count"] >= 2 and len(man["layers"]) >= 2, tag + "at least two layers")
    for ld in man["layers"] + [man["config"]]:
        ck.expect(os.path.exists(lay.blob_path(ld["digest"])) and
                  os.path.getsize(lay.blob_path(ld["digest"])) == ld["size"], tag + "blob size %s" % ld["digest"])
        if with_layers:
            ck.expect("sha256:" + sha256_file(lay.blob_path(ld["digest"])) == ld["digest"],
                      tag + "blob digest %s" % ld["digest"])
    if with_layers:
        for i, ld in enumerate(man["layers"]):
            info = scan_layer(lay, ld)
            el = exp["layers"][i]
            ck.expect(info["diff_id"] == img["diff_ids"][i], tag + "layer %d uncompressed digest == diff_id" % i)
            ck.expect(info["whiteouts"] == el["whiteouts"], tag + "layer %d whiteouts" % i)
            ck.expect(info["opaque_dirs"] == el["opaque_dirs"], tag + "layer %d opaque dirs" % i)
            ck.expect(info["entries"] == el["entries"], tag + "layer %d entry count" % i)


def check_changes_vs_layers(ck, exp):
    """The recorded changes must show up as the right whiteouts in the right layer."""
    for c in exp["changes"]:
        layer = exp["layers"][c["layer"]]
        if c["op"] == "delete":
            ck.expect(c["path"] in layer["whiteouts"], "layer %d has whiteout for %s" % (c["layer"], c["path"]))
        elif c["op"] == "replace_dir":
            tops = [p for p in c["removed"] if os.path.dirname(p) == c["path"]]
            ck.expect(all(p in layer["whiteouts"] or c["path"] in layer["opaque_dirs"] for p in tops),
                      "layer %d hides the old entries of %s" % (c["layer"], c["path"]))
        elif c["op"] == "opaque_dir":
            ck.expect(c["path"] in layer["opaque_dirs"], "layer %d has opaque marker in %s" % (c["layer"], c["path"]))


def check_rootfs(ck, exp, root, base):
    m = exp["merged"]
    for p in m["absent"]:
        ck.expect(not os.path.lexists(rel(root, p)), "absent in merged view: " + p)
        if base:
            ck.expect(os.path.lexists(rel(base, p)), "present in base rootfs (layer 0): " + p)
    for f in m["files"]:
        full = rel(root, f["path"])
        ck.expect(os.path.isfile(full) and not os.path.islink(full), "regular file: " + f["path"])
        if os.path.isfile(full):
            ck.expect(sha256_file(full) == f["sha256"], "sha256 of " + f["path"])
            ck.expect("%04o" % stat.S_IMODE(os.lstat(full).st_mode) == f["mode"], "mode of " + f["path"])
    for s in m["symlinks"]:
        full = rel(root, s["path"])
        ck.expect(os.path.islink(full) and os.readlink(full) == s["target"], "symlink " + s["path"])
    for h in m["hardlinks"]:
        a, b = rel(root, h["path"]), rel(root, h["link_to"])
        ck.expect(os.path.isfile(a) and os.path.isfile(b) and os.stat(a).st_ino == os.stat(b).st_ino,
                  "hardlink %s -> %s" % (h["path"], h["link_to"]))
    for d in m["dirs"]:
        full = rel(root, d["path"])
        ck.expect(os.path.isdir(full) and sorted(os.listdir(full)) == d["entries"],
                  "exact entries of " + d["path"])
    osr = parse_os_release(root)
    ck.expect(all(osr.get(k) == v for k, v in exp["os_release"].items()), "os-release")
    ck.expect(parse_dpkg_status(root) == exp["packages"], "dpkg status packages")
    ck.expect(len(exp["packages"]) > 50, "plausible package count")
    if base:
        ck.expect(parse_dpkg_status(base) == exp["packages"], "dpkg status of base rootfs")


def cmd_check(args):
    with open(args.expected) as f:
        exp = json.load(f)
    ck = Checker()
    check_changes_vs_layers(ck, exp)
    for spec in args.layout or []:
        path, ref = spec.rsplit(":", 1)
        check_layout(ck, exp, path, ref, not args.quick)
    if args.rootfs:
        check_rootfs(ck, exp, args.rootfs, args.base_rootfs)
    if args.multi:
        lay = Layout(args.multi)
        top = lay.resolve("multi")
        ck.expect(top["mediaType"] == MT_INDEX, "multi ref is an index")
        idx = lay.read_json_blob(top["digest"])
        archs = sorted(m["platform"]["architecture"] for m in idx["manifests"])
        ck.expect(archs == sorted([exp["image"]["architecture"], exp["foreign_image"]["architecture"]]),
                  "multi platforms %s" % archs)
        for m in idx["manifests"]:
            man = lay.read_json_blob(m["digest"])
            cfg = lay.read_json_blob(man["config"]["digest"])
            ck.expect(cfg["architecture"] == m["platform"]["architecture"], "multi config arch matches platform")
            if cfg["architecture"] == exp["foreign_image"]["architecture"]:
                names = set()
                for ld in man["layers"]:
                    stream, close = open_layer(lay, ld)
                    with tarfile.open(fileobj=stream, mode="r|") as tf:
                        for t in tf:
                            names.add(norm(t.name))
                    close()
                for mk in exp["foreign_image"]["marker_files"]:
                    ck.expect(mk in names, "foreign image contains " + mk)
    if args.nested:
        lay = Layout(args.nested)
        top = lay.resolve("nested")
        outer = lay.read_json_blob(top["digest"])
        ck.expect(outer["manifests"][0]["mediaType"] == MT_INDEX, "nested: outer index points to an index")
        ck.expect(outer["manifests"][0]["digest"] == exp["layouts"]["multi"]["digest"],
                  "nested: inner index is the multi index")
        inner = lay.read_json_blob(outer["manifests"][0]["digest"])
        for m in inner["manifests"]:
            ck.expect(os.path.exists(lay.blob_path(m["digest"])), "nested: manifest blob present")
    if ck.failures:
        die("expected.json check: %d assertion(s) failed (%d held)" % (len(ck.failures), ck.ok))
    log("expected.json check OK (%d assertions held)" % ck.ok)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port")
    p = sub.add_parser("mirror")
    p.add_argument("--suite", default="bookworm")
    p = sub.add_parser("mutate-layer2")
    p.add_argument("rootfs")
    p.add_argument("record")
    p.add_argument("--layer", type=int, default=1)
    p = sub.add_parser("prepare-opaque")
    p.add_argument("src")
    p.add_argument("target")
    p.add_argument("rootfs")
    p.add_argument("record")
    p.add_argument("--layer", type=int, default=2)
    p = sub.add_parser("append-layer")
    for a in ("layout", "ref", "src", "target", "created-by", "comment"):
        p.add_argument("--" + a, required=True)
    p = sub.add_parser("make-index")
    p.add_argument("--out", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("--image", action="append")
    p.add_argument("--wrap")
    p = sub.add_parser("expected")
    for a in ("record", "oci", "ref", "rootfs", "oci-zstd", "oci-plain", "multi", "nested",
              "foreign-layout", "foreign-ref", "docker-ref", "docker-archive", "oci-archive", "out"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--foreign-marker", action="append", default=[])
    p = sub.add_parser("check")
    p.add_argument("--expected", required=True)
    p.add_argument("--layout", action="append")
    p.add_argument("--rootfs")
    p.add_argument("--base-rootfs")
    p.add_argument("--multi")
    p.add_argument("--nested")
    p.add_argument("--quick", action="store_true", help="skip reading layer blobs")
    args = ap.parse_args()
    {"free-port": cmd_free_port, "mirror": cmd_mirror, "mutate-layer2": cmd_mutate_layer2,
     "prepare-opaque": cmd_prepare_opaque, "append-layer": cmd_append_layer,
     "make-index": cmd_make_index,
     "expected": cmd_expected, "check": cmd_check}[args.cmd](args)


if __name__ == "__main__":
    main()
