import XCTest
@testable import Runtime

final class TopologyProcessorCountTests: XCTestCase {
    func quota(_ quota: Int64, _ period: Int64) -> CgroupQuota {
        CgroupQuota(quotaMicroseconds: quota, periodMicroseconds: period, version: .v2, directory: "/sys/fs/cgroup/app")
    }

    func testNoQuotaIsTheAffinityMask() throws {
        let decision = try DefaultProcessorCount.compute(affinityCPUCount: 8, quota: nil, environmentValue: nil)
        XCTAssertEqual(decision.value, 8)
        XCTAssertTrue(decision.rule.contains("affinity mask = 8"), decision.rule)
    }

    func testQuotaRoundsUpAndIsCappedByAffinity() throws {
        XCTAssertEqual(try DefaultProcessorCount.compute(affinityCPUCount: 8, quota: quota(150000, 100000), environmentValue: nil).value, 2)
        XCTAssertEqual(try DefaultProcessorCount.compute(affinityCPUCount: 8, quota: quota(250000, 100000), environmentValue: nil).value, 3)
        XCTAssertEqual(try DefaultProcessorCount.compute(affinityCPUCount: 2, quota: quota(800000, 100000), environmentValue: nil).value, 2)
        let decision = try DefaultProcessorCount.compute(affinityCPUCount: 16, quota: quota(400000, 100000), environmentValue: nil)
        XCTAssertEqual(decision.value, 4)
        XCTAssertEqual(decision.rule, "min(CPUs in the affinity mask 16, max(2, ceil(cgroup v2 quota 400000us / period 100000us) = 4)) = 4")
    }

    func testSmallQuotaHasAFloorOfTwoButNotAboveTheMask() throws {
        XCTAssertEqual(try DefaultProcessorCount.compute(affinityCPUCount: 8, quota: quota(50000, 100000), environmentValue: nil).value, 2)
        XCTAssertEqual(try DefaultProcessorCount.compute(affinityCPUCount: 1, quota: quota(50000, 100000), environmentValue: nil).value, 1)
    }

    func testEnvironmentWins() throws {
        let decision = try DefaultProcessorCount.compute(affinityCPUCount: 2, quota: quota(50000, 100000), environmentValue: "12")
        XCTAssertEqual(decision.value, 12)
        XCTAssertEqual(decision.rule, "GOMAXPROCS=12 from the environment")
        XCTAssertEqual(try DefaultProcessorCount.compute(affinityCPUCount: 3, quota: nil, environmentValue: "").value, 3, "empty counts as unset")
    }

    func testMalformedEnvironmentIsAnError() {
        for bad in ["0", "-1", "abc", "1.5", "2x", "99999999999999999999", "65537"] {
            XCTAssertThrowsError(try DefaultProcessorCount.compute(affinityCPUCount: 4, quota: nil, environmentValue: bad), bad) { error in
                XCTAssertEqual("\(error)", "GOMAXPROCS must be an integer from 1 to 65536, got '\(bad)'")
            }
        }
    }

    func testSnapshotCombinesAffinityAndQuota() throws {
        let topology = try TopologyFixtures.sysfs("four-node")
        let snapshot = try TopologySnapshot(machineTopology: topology, affinity: CPUSet(parsing: "0-5"),
                                            quota: quota(350000, 100000), gomaxprocsEnvironmentValue: nil)
        XCTAssertEqual(snapshot.defaultProcessors.value, 4)
        let narrowMask = try TopologySnapshot(machineTopology: topology, affinity: CPUSet(parsing: "9"),
                                              quota: quota(350000, 100000), gomaxprocsEnvironmentValue: nil)
        XCTAssertEqual(narrowMask.defaultProcessors.value, 1)
    }

    func testQuotaFromFixturesEndToEnd() throws {
        let root = TopologyFixtures.path("cgroup/v1-limited")
        let quota = try CgroupQuota.read(procSelf: root + "/proc/self", root: root)
        let decision = try DefaultProcessorCount.compute(affinityCPUCount: 16, quota: quota, environmentValue: nil)
        XCTAssertEqual(decision.value, 3)
        XCTAssertTrue(decision.rule.contains("cgroup v1 quota 250000us"), decision.rule)
    }
}
