import XCTest
@testable import Runtime

final class TopologyCgroupTests: XCTestCase {
    func read(_ fixture: String) throws -> CgroupQuota? {
        let root = TopologyFixtures.path("cgroup/" + fixture)
        return try CgroupQuota.read(procSelf: root + "/proc/self", root: root)
    }

    func testParseCPUMax() throws {
        let unlimited = try CgroupQuota.parseCPUMax("max 100000\n")
        XCTAssertNil(unlimited.quota)
        XCTAssertEqual(unlimited.period, 100000)
        let limited = try CgroupQuota.parseCPUMax("150000 100000")
        XCTAssertEqual(limited.quota, 150000)
        XCTAssertEqual(limited.period, 100000)
        for bad in ["", "max", "150000", "x 100000", "150000 0", "-5 100000", "1 2 3"] {
            XCTAssertThrowsError(try CgroupQuota.parseCPUMax(bad, path: "/cg/cpu.max"), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("malformed /cg/cpu.max"), "\(error)")
            }
        }
    }

    func testParseCFS() throws {
        XCTAssertNil(try CgroupQuota.parseCFS(quotaText: "-1\n", periodText: "100000\n").quota)
        XCTAssertEqual(try CgroupQuota.parseCFS(quotaText: "250000", periodText: "100000").quota, 250000)
        XCTAssertThrowsError(try CgroupQuota.parseCFS(quotaText: "0", periodText: "100000"))
        XCTAssertThrowsError(try CgroupQuota.parseCFS(quotaText: "1000", periodText: "soon"))
    }

    func testRoundingUp() {
        let quota = CgroupQuota(quotaMicroseconds: 150000, periodMicroseconds: 100000, version: .v2, directory: "/")
        XCTAssertEqual(quota.cpuLimit, 1.5)
        XCTAssertEqual(quota.cpuLimitRoundedUp, 2)
        XCTAssertEqual(CgroupQuota(quotaMicroseconds: 200000, periodMicroseconds: 100000, version: .v2, directory: "/").cpuLimitRoundedUp, 2)
        XCTAssertEqual(CgroupQuota(quotaMicroseconds: 200001, periodMicroseconds: 100000, version: .v2, directory: "/").cpuLimitRoundedUp, 3)
    }

    func testV2Unlimited() throws { XCTAssertNil(try read("v2-unlimited")) }

    func testV2Limited() throws {
        let quota = try XCTUnwrap(read("v2-limited"))
        XCTAssertEqual(quota.version, .v2)
        XCTAssertEqual(quota.quotaMicroseconds, 150000)
        XCTAssertEqual(quota.periodMicroseconds, 100000)
        XCTAssertTrue(quota.directory.hasSuffix("/sys/fs/cgroup/user.slice/app.scope"), quota.directory)
    }

    func testV2ParentTighterWins() throws {
        let quota = try XCTUnwrap(read("v2-parent-tighter"))
        XCTAssertEqual(quota.quotaMicroseconds, 50000)
        XCTAssertTrue(quota.directory.hasSuffix("/kubepods/pod1"), quota.directory)
    }

    func testV2MalformedNamesFile() {
        XCTAssertThrowsError(try read("v2-malformed")) { error in
            XCTAssertTrue("\(error)".contains("app/cpu.max") && "\(error)".contains("'lots'"), "\(error)")
        }
        XCTAssertThrowsError(try read("v2-zero-period")) { error in
            XCTAssertTrue("\(error)".contains("period '0'"), "\(error)")
        }
    }

    func testV2EscapedMountPoint() throws {
        let quota = try XCTUnwrap(read("v2-escaped"))
        XCTAssertEqual(quota.quotaMicroseconds, 300000)
        XCTAssertTrue(quota.directory.hasSuffix("/mnt/cg roup/app"), quota.directory)
    }

    func testV1LimitedAndCpuControllerWinsOverV2Line() throws {
        let quota = try XCTUnwrap(read("v1-limited"))
        XCTAssertEqual(quota.version, .v1)
        XCTAssertEqual(quota.quotaMicroseconds, 250000)
        XCTAssertEqual(quota.cpuLimitRoundedUp, 3)
        XCTAssertTrue(quota.directory.hasSuffix("cpu,cpuacct/docker/abc"), quota.directory)
    }

    func testV1Unlimited() throws { XCTAssertNil(try read("v1-unlimited")) }

    func testV1NamespacedMountRootReadsMountPoint() throws {
        let quota = try XCTUnwrap(read("v1-namespaced"))
        XCTAssertEqual(quota.cpuLimit, 1.0)
        XCTAssertTrue(quota.directory.hasSuffix("/sys/fs/cgroup/cpu,cpuacct"), quota.directory)
    }

    func testNoControllerMountedMeansNoQuota() throws {
        XCTAssertNil(try read("no-mount"))
        XCTAssertNil(try CgroupQuota.read(procSelf: "/nonexistent/proc/self", root: "/nonexistent"))
    }

    func testMountinfoAndProcCgroupParsing() {
        let memberships = CgroupQuota.parseProcCgroup("4:cpu,cpuacct:/a:b\n0::/x\n")
        XCTAssertEqual(memberships.count, 2)
        XCTAssertEqual(memberships[0].controllers, ["cpu", "cpuacct"])
        XCTAssertEqual(memberships[0].path, "/a:b")
        let mounts = CgroupQuota.parseMountinfo("33 30 0:29 / /sys/fs/cgroup/cpu rw shared:8 master:2 - cgroup cgroup rw,cpu\ngarbage line\n")
        XCTAssertEqual(mounts, [CgroupQuota.Mount(root: "/", mountPoint: "/sys/fs/cgroup/cpu", fileSystemType: "cgroup", superOptions: ["rw", "cpu"])])
    }
}
