#!/usr/bin/env python3
"""A local stand-in for the Hugging Face Hub, serving one model repository the way the Hub does.

Standard library only. Used by HubCLITests (the `seq2seq` binary with HF_ENDPOINT pointing here)
and by `huggingface_hub.snapshot_download(..., endpoint=...)` in the interoperability test.

Two servers on loopback, as the Hub and its CDN are two hosts:

  hub  GET  /api/models/OWNER/NAME[/revision/REV]      {"id", "sha", "siblings": [{"rfilename"}], ...}
       GET  /api/models/OWNER/NAME/tree/REV[/PATH]      [{"type", "oid", "size", "path", "lfs"}], ?recursive=
       HEAD|GET /OWNER/NAME/resolve/REV/FILE            regular files: 200 with ETag (git blob id),
                                                        X-Repo-Commit, Content-Length, Range support;
                                                        LFS files: 302 to the CDN with X-Linked-Etag
                                                        (sha256), X-Linked-Size, X-Repo-Commit
       unknown repository: 401 X-Error-Code RepoNotFound; revision: 404 RevisionNotFound;
       file: 404 EntryNotFound (with X-Repo-Commit)
  cdn  HEAD|GET /repos/xx/yy/SHA256?X-Amz-Expires=...   the LFS object, Range support (206)

The repository: the model files of FIXTURE (config, generation config, safetensors, tokenizer
files) plus what a real repository also holds and a model folder does not need (README.md,
.gitattributes, pytorch_model.bin, tf_model.h5, onnx/encoder_model.onnx). Revisions: `main`, and
the tag `v1` whose generation_config.json differs (min_length 9); both by their commit hashes too.

Switches: --cut-at N ends every CDN transfer at byte N of the file (the connection is dropped);
--corrupt serves LFS objects with one byte flipped under their true sha256; --token T makes the
hub answer 401 without `Authorization: Bearer T`. --log FILE records each request as a JSON line
(server, method, path, range, authorization). --port-file FILE receives {"hub": P, "cdn": P} once
both listen (ports chosen by the system).

    python3 scripts/hub_fixture_server.py --fixture Tests/Fixtures/bart --repo test-org/tiny-bart \
        --port-file /tmp/ports.json
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_FILES = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
               "tokenizer_config.json", "source.spm", "target.spm", "vocab.json", "spiece.model"]
LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".onnx", ".model", ".msgpack")


def git_blob_id(content):
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content):
    sha = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(content)}\n".encode()


class Repository:
    """Files per commit, and the branch/tag names that point at commits."""

    def __init__(self, repo_id, fixture):
        self.repo_id = repo_id
        main = {}
        for name in MODEL_FILES:
            path = os.path.join(fixture, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    main[name] = f.read()
        main["README.md"] = f"# {repo_id}\n\nA tiny test model.\n".encode()
        main[".gitattributes"] = b"".join(b"*%s filter=lfs diff=lfs merge=lfs -text\n" % s.encode() for s in LFS_SUFFIXES)
        main["pytorch_model.bin"] = b"not a real pickle " * 64
        main["tf_model.h5"] = b"not a real HDF5 file " * 64
        main["onnx/encoder_model.onnx"] = b"not a real ONNX file " * 64
        v1 = dict(main)
        config = json.loads(main["generation_config.json"])
        config["min_length"] = 9
        v1["generation_config.json"] = (json.dumps(config, indent=2) + "\n").encode()
        self.commits = {}
        self.refs = {}
        for ref, files in (("v1", v1), ("main", main)):
            commit = hashlib.sha1(repo_id.encode() + b"".join(n.encode() + files[n] for n in sorted(files))).hexdigest()
            self.commits[commit] = files
            self.refs[ref] = commit
        self.objects = {}  # sha256 -> content, for the CDN
        for files in self.commits.values():
            for name, content in files.items():
                if self.is_lfs(name):
                    self.objects[hashlib.sha256(content).hexdigest()] = content

    @staticmethod
    def is_lfs(name):
        return name.endswith(LFS_SUFFIXES)

    def commit(self, revision):
        if revision in self.commits:
            return revision
        return self.refs.get(revision)

    def info(self, commit):
        files = self.commits[commit]
        return {"_id": hashlib.md5(self.repo_id.encode()).hexdigest()[:24], "id": self.repo_id,
                "modelId": self.repo_id, "author": self.repo_id.split("/")[0], "sha": commit,
                "private": False, "gated": False, "disabled": False, "tags": ["safetensors"],
                "library_name": "transformers", "lastModified": "2024-01-01T00:00:00.000Z",
                "siblings": [{"rfilename": name} for name in sorted(files)]}

    def tree(self, commit, prefix, recursive):
        entries, folders = [], set()
        for name, content in sorted(self.commits[commit].items()):
            if prefix and not name.startswith(prefix + "/"):
                continue
            rest = name[len(prefix) + 1:] if prefix else name
            if "/" in rest:
                folder = (prefix + "/" if prefix else "") + rest.split("/")[0]
                if folder not in folders:
                    folders.add(folder)
                    entries.append({"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(),
                                    "size": 0, "path": folder})
                if not recursive:
                    continue
            entry = {"type": "file", "size": len(content), "path": name}
            if self.is_lfs(name):
                entry["oid"] = git_blob_id(lfs_pointer(content))
                entry["lfs"] = {"oid": hashlib.sha256(content).hexdigest(), "size": len(content),
                                "pointerSize": len(lfs_pointer(content))}
            else:
                entry["oid"] = git_blob_id(content)
            entries.append(entry)
        return entries


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hub-fixture"

    def log_message(self, fmt, *args):
        pass

    def record(self):
        options = self.server.options
        if options.log:
            line = json.dumps({"server": self.server.role, "method": self.command, "path": self.path,
                               "range": self.headers.get("Range"), "authorization": self.headers.get("Authorization")})
            with self.server.lock:
                with open(options.log, "a") as f:
                    f.write(line + "\n")

    def do_HEAD(self):
        self.handle_request(send_body=False)

    def do_GET(self):
        self.handle_request(send_body=True)

    def handle_request(self, send_body):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = urllib.parse.parse_qs(url.query)
        if self.server.role == "cdn":
            return self.serve_cdn(path, send_body)
        token = self.server.options.token
        if token and self.headers.get("Authorization") != f"Bearer {token}":
            return self.error(401, "RepoNotFound", "Invalid username or password.", send_body)
        repo = self.server.repository
        prefix = "/api/models/" + repo.repo_id
        if path.startswith("/api/models/") and not (path == prefix or path.startswith(prefix + "/")):
            return self.error(401, "RepoNotFound", "Repository not found", send_body)
        if path == prefix or path.startswith(prefix + "/revision/"):
            revision = path[len(prefix + "/revision/"):] if path != prefix else "main"
            commit = repo.commit(revision)
            if commit is None:
                return self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            return self.send_json(repo.info(commit), send_body)
        if path.startswith(prefix + "/tree/"):
            revision, _, sub = path[len(prefix + "/tree/"):].partition("/")
            commit = repo.commit(revision)
            if commit is None:
                return self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
            return self.send_json(repo.tree(commit, sub.strip("/"), recursive), send_body)
        resolve = "/" + repo.repo_id + "/resolve/"
        if path.startswith(resolve):
            revision, _, name = path[len(resolve):].partition("/")
            return self.serve_resolve(revision, name, send_body)
        if path.startswith("/" + repo.repo_id.split("/")[0] + "/") and "/resolve/" in path:
            return self.error(401, "RepoNotFound", "Repository not found", send_body)
        self.error(404, None, "Not found", send_body)

    def serve_resolve(self, revision, name, send_body):
        repo = self.server.repository
        commit = repo.commit(revision)
        if commit is None:
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
        files = repo.commits[commit]
        if name not in files:
            return self.error(404, "EntryNotFound", f"{name} does not exist on \"{revision}\"", send_body,
                              {"X-Repo-Commit": commit})
        content = files[name]
        if repo.is_lfs(name):
            sha = hashlib.sha256(content).hexdigest()
            cdn = f"http://127.0.0.1:{self.server.cdn_port}/repos/{sha[:2]}/{sha[2:4]}/{sha}?X-Amz-Expires=3600"
            body = f"Found. Redirecting to {cdn}".encode()
            self.send_response(302)
            self.send_header("Location", cdn)
            self.send_header("X-Repo-Commit", commit)
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(content)))
            self.send_header("ETag", f'"{git_blob_id(lfs_pointer(content))}"')
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        self.send_content(content, send_body, {"ETag": f'"{git_blob_id(content)}"', "X-Repo-Commit": commit})

    def serve_cdn(self, path, send_body):
        sha = path.rsplit("/", 1)[-1]
        content = self.server.repository.objects.get(sha)
        if content is None:
            return self.error(404, None, "NoSuchKey", send_body)
        if self.server.options.corrupt:
            middle = len(content) // 2
            content = content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:]
        self.send_content(content, send_body, {"ETag": f'"{hashlib.md5(content).hexdigest()}"'},
                          cut_at=self.server.options.cut_at)

    def send_content(self, content, send_body, headers, cut_at=None):
        start, end = 0, len(content)
        status = 200
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            start = int(first) if first else 0
            end = int(last) + 1 if last else len(content)
            if start >= len(content):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(content)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end = min(end, len(content))
            status = 206
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(content)}")
        self.end_headers()
        if not send_body:
            return
        if cut_at is not None and end > cut_at:
            if start < cut_at:
                self.wfile.write(content[start:cut_at])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(content[start:end])

    def send_json(self, value, send_body):
        self.send_content(json.dumps(value).encode(), send_body, {"Content-Type": "application/json"})

    def error(self, status, code, message, send_body, headers=None):
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def make_server(role, repository, options):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.role = role
    server.repository = repository
    server.options = options
    server.lock = threading.Lock()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixture", required=True, help="folder with the model files to serve")
    parser.add_argument("--repo", default="test-org/tiny-bart", help="the repository id served")
    parser.add_argument("--port-file", help="write {\"hub\": port, \"cdn\": port} here once listening")
    parser.add_argument("--log", help="append one JSON line per request here")
    parser.add_argument("--cut-at", type=int, help="drop every CDN transfer at this byte of the file")
    parser.add_argument("--corrupt", action="store_true", help="serve LFS objects with one byte flipped")
    parser.add_argument("--token", help="require Authorization: Bearer TOKEN on the hub")
    parser.add_argument("--print-commits", action="store_true", help="print {ref: commit} and exit")
    options = parser.parse_args()
    repository = Repository(options.repo, options.fixture)
    if options.print_commits:
        print(json.dumps(repository.refs))
        return
    hub, cdn = make_server("hub", repository, options), make_server("cdn", repository, options)
    hub.cdn_port = cdn.server_address[1]
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    if options.port_file:
        temporary = options.port_file + ".tmp"
        with open(temporary, "w") as f:
            json.dump({"hub": hub.server_address[1], "cdn": cdn.server_address[1]}, f)
        os.replace(temporary, options.port_file)
    print(f"hub http://127.0.0.1:{hub.server_address[1]}  cdn http://127.0.0.1:{cdn.server_address[1]}", file=sys.stderr)
    try:
        hub.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
