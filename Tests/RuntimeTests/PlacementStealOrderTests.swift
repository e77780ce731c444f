import XCTest
@testable import Runtime

final class PlacementStealOrderTests: XCTestCase {
    func order(_ topology: Topology, _ procs: Int, _ policy: PlacementPolicy) throws -> StealOrder {
        StealOrder(placement: try PlacementMap(topology: topology, processorCount: procs, policy: policy), topology: topology)
    }

    /// Every other P exactly once, never the P itself.
    func assertCoversOthers(_ order: StealOrder, file: StaticString = #filePath, line: UInt = #line) {
        for (processor, groups) in order.victimGroups.enumerated() {
            let flat = groups.flatMap { $0 }
            XCTAssertEqual(flat.sorted(), (0..<order.victimGroups.count).filter { $0 != processor }, file: file, line: line)
            XCTAssertFalse(groups.contains { $0.isEmpty }, file: file, line: line)
        }
    }

    func testNoneIsOneGroupLikeGo() throws {
        let steal = try order(try TopologyFixtures.sysfs("two-node"), 4, .none)
        XCTAssertEqual(steal.victimGroups[1], [[0, 2, 3]])
        XCTAssertEqual(steal.wakeNodeOrder, [:])
        assertCoversOthers(steal)
    }

    func testSingleProcessorHasNoVictims() throws {
        let steal = try order(try TopologyFixtures.sysfs("two-node"), 1, .compact)
        XCTAssertEqual(steal.victimGroups, [[]])
    }

    func testTwoNodesSameNodeFirst() throws {
        let steal = try order(try TopologyFixtures.sysfs("two-node"), 4, .spread) // P0,P2 node 0; P1,P3 node 1
        XCTAssertEqual(steal.victimGroups[0], [[2], [1, 3]])
        XCTAssertEqual(steal.victimGroups[3], [[1], [0, 2]])
        XCTAssertEqual(steal.wakeNodeOrder[1], [1, 0])
        assertCoversOthers(steal)
    }

    func testFourNodesByDistance() throws {
        // Distances from node 3: node 1 and node 2 at 16, node 0 at 22.
        let steal = try order(try TopologyFixtures.sysfs("four-node"), 8, .spread) // P i on node i % 4
        XCTAssertEqual(steal.victimGroups[3], [[7], [1, 2, 5, 6], [0, 4]])
        XCTAssertEqual(steal.victimGroups[0], [[4], [1, 2, 5, 6], [3, 7]])
        XCTAssertEqual(steal.wakeNodeOrder[3], [3, 1, 2, 0])
        assertCoversOthers(steal)
    }

    func testEightNodesTwoSockets() throws {
        let steal = try order(try TopologyFixtures.sysfs("eight-node"), 16, .compact) // P 2k, 2k+1 on node k
        XCTAssertEqual(steal.victimGroups[0], [[1], [2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14, 15]])
        XCTAssertEqual(steal.wakeNodeOrder[6], [6, 4, 5, 7, 0, 1, 2, 3])
        assertCoversOthers(steal)
    }

    func testUnevenAndRestrictedNodesOnlyListNodesWithPs() throws {
        let topology = try TopologyFixtures.sysfs("uneven")
        let steal = try order(topology, 3, .nodes([1]))
        XCTAssertEqual(steal.victimGroups[0], [[1, 2]])
        XCTAssertEqual(steal.wakeNodeOrder, [1: [1]])
        let spread = try order(topology, 5, .spread) // P0 n0, P1 n1, P2 n0, P3 n1, P4 n0
        XCTAssertEqual(spread.victimGroups[1], [[3], [0, 2, 4]])
        XCTAssertEqual(spread.wakeNodeOrder[0], [0, 1])
        assertCoversOthers(spread)
    }
}
