import XCTest
@testable import Runtime

final class PlacementMapTests: XCTestCase {
    /// "P0:cpu@node P1:..." for compact assertions.
    func layout(_ map: PlacementMap) -> String {
        map.processors.map { "\($0.cpus.cpulist)@\($0.node.map(String.init) ?? "-")" }.joined(separator: " ")
    }

    func place(_ topology: Topology, _ procs: Int, _ policy: String) throws -> PlacementMap {
        try PlacementMap(topology: topology, processorCount: procs, policy: PlacementPolicy(parsing: policy))
    }

    func testPolicyParsing() throws {
        XCTAssertEqual(try PlacementPolicy(parsing: "none"), PlacementPolicy.none)
        XCTAssertEqual(try PlacementPolicy(parsing: "compact"), .compact)
        XCTAssertEqual(try PlacementPolicy(parsing: "spread"), .spread)
        XCTAssertEqual(try PlacementPolicy(parsing: "nodes=2,0"), .nodes([2, 0]))
        XCTAssertEqual(PlacementPolicy.nodes([0, 2]).description, "nodes=0,2")
        for bad in ["", "packed", "nodes=", "nodes=a", "nodes=0,,1", "nodes=1,1", "nodes=-1", "Compact"] {
            XCTAssertThrowsError(try PlacementPolicy(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("malformed placement '\(bad)'"), "\(error)")
            }
        }
    }

    func testOneNode() throws {
        let topology = try TopologyFixtures.sysfs("one-node")
        XCTAssertEqual(layout(try place(topology, 4, "compact")), "0@0 1@0 2@0 3@0")
        XCTAssertEqual(layout(try place(topology, 4, "spread")), "0@0 1@0 2@0 3@0")
        XCTAssertEqual(layout(try place(topology, 2, "none")), "0-3@- 0-3@-")
        XCTAssertFalse(try place(topology, 2, "none").bindsThreads)
        XCTAssertTrue(try place(topology, 2, "compact").bindsThreads)
    }

    func testTwoNodesCompactFillsOneNodeFirst() throws {
        let topology = try TopologyFixtures.sysfs("two-node")
        XCTAssertEqual(layout(try place(topology, 3, "compact")), "0@0 1@0 2@0")
        XCTAssertEqual(layout(try place(topology, 6, "compact")), "0@0 1@0 2@0 3@0 4@1 5@1")
    }

    func testTwoNodesSpreadAlternates() throws {
        let topology = try TopologyFixtures.sysfs("two-node")
        XCTAssertEqual(layout(try place(topology, 4, "spread")), "0@0 4@1 1@0 5@1")
    }

    func testFourNodes() throws {
        let topology = try TopologyFixtures.sysfs("four-node")
        XCTAssertEqual(layout(try place(topology, 5, "spread")), "0@0 4@1 8@2 12@3 1@0")
        XCTAssertEqual(layout(try place(topology, 5, "compact")), "0@0 1@0 2@0 3@0 4@1")
        XCTAssertEqual(layout(try place(topology, 4, "nodes=3,1")), "12@3 13@3 14@3 15@3")
        XCTAssertEqual(layout(try place(topology, 6, "nodes=3,1")), "12@3 13@3 14@3 15@3 4@1 5@1")
    }

    func testEightNodesSpreadVisitsEveryNode() throws {
        let topology = try TopologyFixtures.sysfs("eight-node")
        let map = try place(topology, 8, "spread")
        XCTAssertEqual(map.processors.map { $0.node! }, Array(0..<8))
        XCTAssertEqual(map.processorsByNode[5], [5])
        let compact = try place(topology, 8, "compact")
        XCTAssertEqual(compact.processors.map { $0.node! }, [0, 0, 1, 1, 2, 2, 3, 3])
    }

    func testUnevenNodesSpreadDropsExhaustedNodes() throws {
        let topology = try TopologyFixtures.sysfs("uneven") // node 0: 0-4, node 1: 5-6, node 3: memory only
        XCTAssertEqual(layout(try place(topology, 7, "spread")), "0@0 5@1 1@0 6@1 2@0 3@0 4@0")
        XCTAssertThrowsError(try place(topology, 2, "nodes=3")) {
            XCTAssertEqual("\($0)", "node 3 has no CPU in the affinity mask")
        }
        XCTAssertThrowsError(try place(topology, 2, "nodes=0,2")) {
            XCTAssertEqual("\($0)", "node 2 does not exist (nodes with usable CPUs: 0,1)")
        }
    }

    func testMoreProcsThanCPUsWrapsAround() throws {
        let topology = try TopologyOverride.parse("0-1:2-3")
        XCTAssertEqual(layout(try place(topology, 6, "spread")), "0@0 2@1 1@0 3@1 0@0 2@1")
        XCTAssertEqual(layout(try place(topology, 5, "compact")), "0@0 1@0 2@1 3@1 0@0")
    }

    func testAffinitySubset() throws {
        let topology = try TopologyFixtures.sysfs("four-node").narrowed(toAffinity: CPUSet(parsing: "2-5,14"))
        XCTAssertEqual(layout(try place(topology, 5, "compact")), "2@0 3@0 4@1 5@1 14@3")
        XCTAssertEqual(layout(try place(topology, 5, "spread")), "2@0 4@1 14@3 3@0 5@1")
        XCTAssertEqual(layout(try place(topology, 1, "none")), "2-5,14@-")
        XCTAssertThrowsError(try place(topology, 2, "nodes=2"))
    }

    func testQuotaDerivedProcsOnAFixture() throws {
        let topology = try TopologyFixtures.sysfs("two-node")
        let quota = CgroupQuota(quotaMicroseconds: 250000, periodMicroseconds: 100000, version: .v2, directory: "/")
        let snapshot = try TopologySnapshot(machineTopology: topology, affinity: topology.allCPUs, quota: quota, gomaxprocsEnvironmentValue: nil)
        let map = try PlacementMap(topology: snapshot.narrowedTopology, processorCount: snapshot.defaultProcessors.value, policy: .spread)
        XCTAssertEqual(layout(map), "0@0 4@1 1@0")
    }

    func testInvalidProcessorCount() throws {
        let topology = try TopologyFixtures.sysfs("one-node")
        XCTAssertThrowsError(try place(topology, 0, "compact"))
    }
}
