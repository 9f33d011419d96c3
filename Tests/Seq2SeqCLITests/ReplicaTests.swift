// Scale-out by stateless replicas: two `seq2seq serve` processes behind nginx (Debian's
// package, the configuration of docs/serving.md), one of them killed with SIGKILL while
// requests are in flight; nginx's `proxy_next_upstream` sends what the dead replica dropped to
// the live one, and every client gets its answer: zero failed requests, each equal to the
// command line's.
import Foundation
import XCTest

final class ReplicaTests: XCTestCase {
    /// The nginx configuration of docs/serving.md for replicas on `ports`, listening on `port`,
    /// with everything nginx writes kept under `directory`.
    static func nginxConfiguration(listen port: Int, replicas ports: [Int], directory: String) -> String {
        """
        worker_processes 1;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path \(directory)/body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            client_max_body_size 64m;
            upstream seq2seq {
                least_conn;
        \(ports.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=30s;" }.joined(separator: "\n"))
                keepalive 32;
            }
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass http://seq2seq;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_next_upstream error timeout http_502 http_503 non_idempotent;
                    proxy_next_upstream_tries 2;
                    proxy_read_timeout 120s;
                    proxy_buffering off;
                }
            }
        }
        """
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw XCTSkip("no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func testOneReplicaKilledUnderLoadLosesNoRequest() throws {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let nginx else { throw XCTSkip("nginx not installed (.ci/run installs Debian's nginx-light)") }
        let model = ServeTests.marian
        let replicas = [try ServerProcess(["--model", "en-de=\(model)"]), try ServerProcess(["--model", "en-de=\(model)"])]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try Self.freePort()
        try Self.nginxConfiguration(listen: port, replicas: replicas.map(\.port), directory: directory)
            .write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let balancer = Process()
        balancer.executableURL = URL(fileURLWithPath: nginx)
        balancer.arguments = ["-p", directory, "-e", directory + "/error.log", "-c", directory + "/nginx.conf", "-g", "daemon off;"]
        try balancer.run()
        defer { if balancer.isRunning { balancer.terminate(); balancer.waitUntilExit() } }
        let base = "http://127.0.0.1:\(port)"
        let started = Date()
        while (try? http("GET", base + "/health"))?.status != 200 {
            guard balancer.isRunning, Date().timeIntervalSince(started) < 30 else {
                return XCTFail("nginx did not start: \((try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? "")")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }

        let texts = (0..<24).map { ServeTests.sentences[$0 % ServeTests.sentences.count] + " Request \($0)." }
        let command = try runCLI(["translate", "--model", model] + texts)
        XCTAssertEqual(command.status, 0, command.stderr)
        let expected = command.stdout.split(separator: "\n").map(String.init)
        let clients = 16, perClient = 40
        let answers = LockedAnswers(count: clients * perClient)
        let done = Counter()
        let killer = Thread {
            while done.value < clients * perClient / 4 { Thread.sleep(forTimeInterval: 0.001) }
            kill(replicas[0].process.processIdentifier, SIGKILL)
        }
        killer.start()
        concurrently(clients) { client in
            for k in 0..<perClient {
                let i = client * perClient + k
                let text = texts[i % texts.count]
                let r = try? postJSON(base + "/translate", ["q": text, "source": "en", "target": "de"])
                answers.set(i, r?.status == 200 ? r?.object["translatedText"] as? String : "HTTP \(r?.status ?? 0): \(r?.text ?? "no answer")")
                done.increment()
            }
        }
        replicas[0].process.waitUntilExit()
        XCTAssertEqual(replicas[0].process.terminationReason, .uncaughtSignal, "the first replica was not killed mid-load")
        let wrong = answers.values.enumerated().filter { $0.element != expected[$0.offset % texts.count] }
        XCTAssertEqual(wrong.count, 0, "failed or wrong: \(wrong.prefix(5))")
        // The live replica answered the rest; the balancer is still up.
        XCTAssertEqual(try http("GET", base + "/health").status, 200)
        XCTAssertEqual(replicas[1].stop(), 0, replicas[1].stderr)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
