import XCTest
import CRuntime
@testable import Runtime

/// The fixture directory, found next to this file (no Package.swift resources).
enum TopologyFixtures {
    static let directory: String = {
        let file = #filePath
        return String(file[..<file.lastIndex(of: "/")!]) + "/Fixtures"
    }()
    static func path(_ relative: String) -> String { directory + "/" + relative }
    static func sysfs(_ name: String) throws -> Topology { try SysfsTopologyReader.read(sysRoot: path("sysfs/" + name)) }
}

final class TopologyReaderTests: XCTestCase {
    func testCPUSetParsesAndFormatsCpulists() throws {
        XCTAssertEqual(try CPUSet(parsing: "0-3,8\n").cpus, [0, 1, 2, 3, 8])
        XCTAssertEqual(try CPUSet(parsing: "8,0-3,2").cpulist, "0-3,8")
        XCTAssertEqual(try CPUSet(parsing: "").count, 0)
        XCTAssertEqual(try CPUSet(parsing: "5").cpulist, "5")
        XCTAssertEqual(CPUSet([1, 3, 4, 5, 9, 10]).cpulist, "1,3-5,9-10")
        for bad in ["3-1", "a", "1,,2", "1-", "-1", "1-2-3", "99999999", "0-70000"] {
            XCTAssertThrowsError(try CPUSet(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("bad part"), "\(error)")
            }
        }
    }

    func testCPUSetMaskWordsRoundTrip() {
        let set = CPUSet([0, 63, 64, 130])
        let words = set.maskWords(minimumWordCount: 4)
        XCTAssertEqual(words.count, 4)
        XCTAssertEqual(words[0], (1 << 63) | 1)
        XCTAssertEqual(words[1], 1)
        XCTAssertEqual(words[2], 1 << 2)
        XCTAssertEqual(CPUSet(maskWords: words), set)
    }

    func testOneNode() throws {
        let topology = try TopologyFixtures.sysfs("one-node")
        XCTAssertEqual(topology.nodeIDs, [0])
        XCTAssertEqual(topology.nodes[0].cpus.cpulist, "0-3")
        XCTAssertEqual(topology.nodes[0].memoryTotalBytes, 8192 * 1024 * 1024)
        XCTAssertEqual(topology.nodes[0].memoryFreeBytes, 4096 * 1024 * 1024)
        XCTAssertEqual(topology.distances, [[10]])
        XCTAssertEqual(topology.source, .sysfs)
    }

    func testTwoNodes() throws {
        let topology = try TopologyFixtures.sysfs("two-node")
        XCTAssertEqual(topology.nodes.map(\.cpus.cpulist), ["0-3", "4-7"])
        XCTAssertEqual(topology.distance(fromNode: 0, toNode: 1), 21)
        XCTAssertEqual(topology.nodeID(ofCPU: 5), 1)
        XCTAssertNil(topology.nodeID(ofCPU: 8))
        XCTAssertEqual(topology.overrideText, "0-3:4-7/10,21:21,10")
    }

    func testFourNodesDistancesAndWakeOrder() throws {
        let topology = try TopologyFixtures.sysfs("four-node")
        XCTAssertEqual(topology.nodes.count, 4)
        XCTAssertEqual(topology.distance(fromNode: 0, toNode: 3), 22)
        XCTAssertEqual(topology.distance(fromNode: 2, toNode: 3), 16)
        XCTAssertEqual(topology.nodeIDsByDistance(from: 0), [0, 1, 2, 3])
        XCTAssertEqual(topology.nodeIDsByDistance(from: 3), [3, 1, 2, 0])
        XCTAssertEqual(topology.nodeIDsByDistance(from: 9), [])
    }

    func testEightNodes() throws {
        let topology = try TopologyFixtures.sysfs("eight-node")
        XCTAssertEqual(topology.nodes.count, 8)
        XCTAssertEqual(topology.allCPUs.cpulist, "0-15")
        XCTAssertEqual(topology.nodeIDsByDistance(from: 5), [5, 4, 6, 7, 0, 1, 2, 3])
        XCTAssertEqual(topology.distance(fromNode: 1, toNode: 6), 32)
    }

    func testUnevenNodesWithHoleOfflineCPUAndMemoryOnlyNode() throws {
        let topology = try TopologyFixtures.sysfs("uneven")
        XCTAssertEqual(topology.nodeIDs, [0, 1, 3])
        // CPU 8 (node 0) and CPU 7 (node 1) are offline.
        XCTAssertEqual(topology.nodes.map(\.cpus.cpulist), ["0-4", "5-6", ""])
        XCTAssertEqual(topology.nodesWithCPUs.map(\.id), [0, 1])
        XCTAssertEqual(topology.node(withID: 3)?.memoryTotalBytes, 16384 * 1024 * 1024)
        XCTAssertEqual(topology.distance(fromNode: 1, toNode: 3), 40)
        XCTAssertEqual(topology.distancesByNodeID, [[10, 20, 255, 40], [20, 10, 255, 40], [255, 255, 255, 255], [40, 40, 255, 10]])
        XCTAssertNil(topology.distance(fromNode: 1, toNode: 2))
    }

    func testNoNodeDirectoryIsOneNode() throws {
        let topology = try TopologyFixtures.sysfs("no-numa")
        XCTAssertEqual(topology.nodeIDs, [0])
        XCTAssertEqual(topology.nodes[0].cpus.cpulist, "0-1")
    }

    func testMissingDistancesUseLinuxDefaults() throws {
        let topology = try TopologyFixtures.sysfs("no-distances")
        XCTAssertEqual(topology.distances, [[10, 20], [20, 10]])
        XCTAssertNil(topology.nodes[0].memoryTotalBytes)
    }

    func testMalformedSysfsNamesTheFile() {
        XCTAssertThrowsError(try TopologyFixtures.sysfs("bad-distance")) { error in
            XCTAssertTrue("\(error)".contains("node1/distance"), "\(error)")
        }
        XCTAssertThrowsError(try TopologyFixtures.sysfs("bad-cpulist")) { error in
            XCTAssertTrue("\(error)".contains("node1/cpulist") && "\(error)".contains("2-x"), "\(error)")
        }
        XCTAssertThrowsError(try TopologyFixtures.sysfs("does-not-exist")) { error in
            XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
        }
    }

    func testNarrowingByAffinity() throws {
        let topology = try TopologyFixtures.sysfs("two-node")
        let narrowed = try topology.narrowed(toAffinity: CPUSet(parsing: "2-5"))
        XCTAssertEqual(narrowed.nodes.map(\.cpus.cpulist), ["2-3", "4-5"])
        XCTAssertEqual(narrowed.distances, topology.distances)
        let oneSide = try topology.narrowed(toAffinity: CPUSet(parsing: "4,6"))
        XCTAssertEqual(oneSide.nodesWithCPUs.map(\.id), [1])
        XCTAssertEqual(oneSide.nodes.count, 2, "a node without allowed CPUs keeps its memory and distances")
        XCTAssertThrowsError(try topology.narrowed(toAffinity: .empty)) { error in
            XCTAssertEqual("\(error)", "the CPU affinity mask is empty")
        }
        XCTAssertThrowsError(try topology.narrowed(toAffinity: CPUSet([3, 9, 10]))) { error in
            XCTAssertEqual(error as? TopologyError, .cpuNotInTopology(cpus: "9-10"))
        }
    }

    func testTopologyRejectsInconsistentParts() {
        XCTAssertThrowsError(try Topology(nodes: [NUMANode(id: 0, cpus: CPUSet([0, 1])), NUMANode(id: 1, cpus: CPUSet([1]))], source: .sysfs)) {
            XCTAssertEqual($0 as? TopologyError, .duplicateCPU(cpu: 1, firstNode: 0, secondNode: 1))
        }
        XCTAssertThrowsError(try Topology(nodes: [NUMANode(id: 0, cpus: CPUSet([0])), NUMANode(id: 0, cpus: CPUSet([1]))], source: .sysfs))
        XCTAssertThrowsError(try Topology(nodes: [NUMANode(id: 0, cpus: CPUSet([0]))], distances: [[10, 20]], source: .sysfs))
    }

    /// The running machine: whatever it is, libnuma (or its fallback) gives a topology
    /// whose CPUs include this thread's affinity mask.
    func testLiveMachineTopologyCoversTheAffinityMask() throws {
        let topology = try LibnumaTopologyReader.read()
        XCTAssertFalse(topology.nodes.isEmpty)
        let affinity = try ThreadAffinity.current()
        XCTAssertFalse(affinity.isEmpty)
        XCTAssertTrue(affinity.isSubset(of: topology.allCPUs), "\(affinity) not in \(topology.allCPUs)")
        let snapshot = try TopologySnapshot(machineTopology: topology, affinity: affinity, quota: nil, gomaxprocsEnvironmentValue: nil)
        XCTAssertEqual(snapshot.defaultProcessors.value, affinity.count)
    }

    func testLiveAffinitySetAndRestore() throws {
        let original = try ThreadAffinity.current()
        defer { try? ThreadAffinity.set(original) }
        let first = CPUSet([original.cpus[0]])
        try ThreadAffinity.set(first)
        XCTAssertEqual(try ThreadAffinity.current(), first)
        XCTAssertEqual(try ThreadAffinity.of(threadID: gb_gettid()), first)
        try ThreadAffinity.set(original)
        XCTAssertEqual(try ThreadAffinity.current(), original)
        XCTAssertThrowsError(try ThreadAffinity.set(.empty))
        // A CPU that cannot exist here: the kernel refuses it and the error says which call.
        XCTAssertThrowsError(try ThreadAffinity.set(CPUSet([CPUSet.maximumCPUNumber]))) { error in
            XCTAssertTrue("\(error)".contains("sched_setaffinity"), "\(error)")
        }
    }

    func testLiveSelfCheckPassesAndRestoresTheMask() throws {
        let before = try ThreadAffinity.current()
        let snapshot = try TopologySnapshot(machineTopology: try LibnumaTopologyReader.read(), affinity: before,
                                            quota: nil, gomaxprocsEnvironmentValue: nil)
        let map = try PlacementMap(topology: snapshot.narrowedTopology, processorCount: before.count, policy: .compact)
        let outcomes = TopologySelfCheck.run(snapshot: snapshot, placement: map)
        XCTAssertTrue(outcomes.contains { $0.name == "bind-P0" && $0.status == .passed }, "\(outcomes)")
        XCTAssertFalse(outcomes.contains { $0.status == .failed }, "\(outcomes)")
        XCTAssertEqual(try ThreadAffinity.current(), before)
        // A snapshot that claims a different mask than the thread has fails the mask check.
        let wrong = try TopologySnapshot(machineTopology: snapshot.machineTopology, affinity: CPUSet([before.cpus[0]]),
                                         quota: nil, gomaxprocsEnvironmentValue: nil)
        if before.count > 1 {
            XCTAssertEqual(TopologySelfCheck.run(snapshot: wrong, placement: map).first?.status, .failed)
        }
    }

    func testLiveNodeLocalMemoryOnNodeZero() throws {
        try XCTSkipUnless(NodeLocalMemory.isNUMAAvailable, "NUMA is unavailable here")
        let bytes = NodeLocalMemory.pageSizeBytes * 2
        let block = try XCTUnwrap(NodeLocalMemory.allocate(bytes: bytes, node: 0))
        defer { NodeLocalMemory.free(block, bytes: bytes) }
        XCTAssertEqual(NodeLocalMemory.queriedNodeOfPage(block), -2, "untouched page: ENOENT")
        block.storeBytes(of: 1, as: UInt8.self)
        XCTAssertEqual(NodeLocalMemory.nodeOfAddress(block), 0)
        XCTAssertEqual(NodeLocalMemory.queriedNodeOfPage(block), 0)
        XCTAssertNil(NodeLocalMemory.allocate(bytes: bytes, node: 4000))
    }
}
