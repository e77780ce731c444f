import XCTest
@testable import Runtime

final class TopologyOverrideTests: XCTestCase {
    func testNodesOnly() throws {
        let topology = try TopologyOverride.parse("0-3:4-7")
        XCTAssertEqual(topology.source, .override)
        XCTAssertEqual(topology.nodeIDs, [0, 1])
        XCTAssertEqual(topology.nodes.map(\.cpus.cpulist), ["0-3", "4-7"])
        XCTAssertEqual(topology.distances, [[10, 20], [20, 10]])
        XCTAssertNil(topology.nodes[0].memoryTotalBytes)
    }

    func testInterleavedCPUsAndOneNode() throws {
        XCTAssertEqual(try TopologyOverride.parse("0,2:1,3").nodes.map(\.cpus.cpulist), ["0,2", "1,3"])
        XCTAssertEqual(try TopologyOverride.parse(" 0-3,8 ").nodes.map(\.cpus.cpulist), ["0-3,8"])
    }

    func testWithDistances() throws {
        let topology = try TopologyOverride.parse("0-1:2-3:4-5/10,20,30:20,10,20:30,20,10")
        XCTAssertEqual(topology.distance(fromNode: 0, toNode: 2), 30)
        XCTAssertEqual(topology.nodeIDsByDistance(from: 2), [2, 1, 0])
        XCTAssertEqual(topology.overrideText, "0-1:2-3:4-5/10,20,30:20,10,20:30,20,10")
        XCTAssertEqual(try TopologyOverride.parse(topology.overrideText), topology)
    }

    func testMalformedOverridesNameTheBadPart() {
        let cases: [(String, String)] = [
            ("", "it is empty"),
            ("0-3:", "node 1 has no CPUs"),
            ("0-3::4-7", "node 1 has no CPUs"),
            ("0-3:4-x", "node 1: bad CPU list part '4-x'"),
            ("3-0", "node 0: bad CPU list part '3-0'"),
            ("0-3:3-7", "CPU 3 is in both node 0 and node 1"),
            ("0-1:2-3/10,20", "1 distance rows for 2 nodes"),
            ("0-1:2-3/10,20:20", "distance row 1 has 1 values for 2 nodes"),
            ("0-1:2-3/10,20:20,ten", "distance 'ten' in row 1"),
            ("0-1:2-3/10,0:20,10", "distance '0' in row 0"),
            ("0-1:2-3/10,20:20,300", "distance '300' in row 1"),
            ("0-1/10/10", "more than one '/'"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try TopologyOverride.parse(text), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("malformed topology override"), message)
                XCTAssertTrue(message.contains(expected), "'\(text)': \(message)")
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
    }

    func testSnapshotOfOverrideUsesAllItsCPUsUnlessNarrowed() throws {
        let topology = try TopologyOverride.parse("0-3:4-7")
        let whole = try TopologySnapshot(machineTopology: topology, affinity: topology.allCPUs, quota: nil, gomaxprocsEnvironmentValue: nil)
        XCTAssertEqual(whole.defaultProcessors.value, 8)
        let narrowed = try TopologySnapshot(machineTopology: topology, affinity: CPUSet([1, 2, 5]), quota: nil, gomaxprocsEnvironmentValue: nil)
        XCTAssertEqual(narrowed.narrowedTopology.nodes.map(\.cpus.cpulist), ["1-2", "5"])
        XCTAssertEqual(narrowed.defaultProcessors.value, 3)
        XCTAssertThrowsError(try TopologySnapshot(machineTopology: topology, affinity: CPUSet([8]), quota: nil, gomaxprocsEnvironmentValue: nil)) {
            XCTAssertEqual("\($0)", "CPU 8 in the affinity mask does not exist in the topology")
        }
    }
}
