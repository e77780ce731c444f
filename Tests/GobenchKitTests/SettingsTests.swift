// Tests of command-line settings parsing: durations, procs, scavenge, placement, shard, params.
import XCTest
@testable import GobenchKit

final class SettingsTests: XCTestCase {
    func testDurations() throws {
        XCTAssertEqual(try DurationText.nanoseconds("10ms"), 10_000_000)
        XCTAssertEqual(try DurationText.nanoseconds("2m"), 120_000_000_000)
        XCTAssertEqual(try DurationText.nanoseconds("500us"), 500_000)
        XCTAssertEqual(try DurationText.nanoseconds("1.5s"), 1_500_000_000)
        XCTAssertEqual(try DurationText.nanoseconds("1h"), 3_600_000_000_000)
        XCTAssertEqual(try DurationText.nanoseconds("250ns"), 250)
        XCTAssertEqual(DurationText.format(nanoseconds: 1_500_000_000), "1500ms")
        XCTAssertEqual(DurationText.format(nanoseconds: 120_000_000_000), "2m")
        XCTAssertEqual(DurationText.format(nanoseconds: 90_000_000_000), "90s")
        XCTAssertEqual(DurationText.format(nanoseconds: 1_001), "1001ns")
        XCTAssertEqual(DurationText.humanSeconds(185), "3m05s")
    }

    func testBadDurationsNameTheBadPart() {
        for (text, fragment) in [("10", "has no unit"), ("ms", "is not a number"), ("-5ms", "'-5' is not a number"),
                                 ("0s", "longer than zero"), ("1.2.3s", "not a number"), ("5 parsecs", "unknown unit"), ("5 fortnight", "has no unit"), ("5 weeks", "unknown unit")] {
            XCTAssertThrowsError(try DurationText.nanoseconds(text, what: "timeout"), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("timeout '"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    func testScavengeLists() throws {
        XCTAssertEqual(try ScavengeSetting.parseList("off,10ms,2m").map(\.description), ["off", "10ms", "2m"])
        XCTAssertEqual(try ScavengeSetting.parseList("0.01s,10ms").map(\.description), ["10ms"])
        XCTAssertEqual(ScavengeSetting.sweepDefault.map(\.description), ["off", "10ms", "2m"])
        XCTAssertThrowsError(try ScavengeSetting.parseList("off,,2m"))
        XCTAssertThrowsError(try ScavengeSetting.parseList("sometimes")) { error in
            XCTAssertTrue("\(error)".contains("'sometimes'"), "\(error)")
        }
    }

    func testProcsListsAndRanges() throws {
        XCTAssertEqual(try ProcsList.parse("4"), [4])
        XCTAssertEqual(try ProcsList.parse("1,2,4"), [1, 2, 4])
        XCTAssertEqual(try ProcsList.parse("4,1,2,2"), [1, 2, 4])
        XCTAssertEqual(try ProcsList.parse("1-8"), Array(1...8))
        XCTAssertEqual(try ProcsList.parse("1-16:x2"), [1, 2, 4, 8, 16])
        XCTAssertEqual(try ProcsList.parse("1-20:x3"), [1, 3, 9])
        XCTAssertEqual(try ProcsList.parse("2-12:4"), [2, 6, 10])
        XCTAssertEqual(try ProcsList.parse("1-2,8"), [1, 2, 8])
        XCTAssertEqual(ProcsList.sweepDefault(cpus: 2), [1, 2, 4])
        XCTAssertEqual(ProcsList.sweepDefault(cpus: 4), [1, 2, 3, 4, 8])
    }

    func testBadProcs() {
        for (text, fragment) in [("0", "'0' is not a number from 1"), ("8-1", "range goes down"), ("1-8:x1", "x2 or more"),
                                 ("1-8:0", "positive integer"), ("a", "'a'"), ("1,,2", "empty item"), ("4:x2", "needs a range"),
                                 ("1-2-3", "range like"), ("99999", "from 1 to 4096")] {
            XCTAssertThrowsError(try ProcsList.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
            }
        }
    }

    func testPlacements() throws {
        // The order named is kept (it is the order the nodes are filled in), as the runtime
        // reads it; `gobench topology` and `gobench run` parse with the same PlacementPolicy.
        XCTAssertEqual(try PlacementPolicy.parseList("none,compact,nodes=1,0,spread").map(\.description),
                       ["none", "compact", "nodes=1,0", "spread"])
        XCTAssertEqual(try PlacementPolicy.parseList("nodes=0,1,nodes=1,0,nodes=0,1"), [.nodes([0, 1]), .nodes([1, 0])])
        XCTAssertEqual(try PlacementPolicy(parsing: "nodes=2"), .nodes([2]))
        XCTAssertEqual(try PlacementPolicy(parsing: " nodes=3,0,2\n"), .nodes([3, 0, 2]))
        XCTAssertThrowsError(try PlacementPolicy(parsing: "nodes=a")) { error in
            XCTAssertTrue("\(error)".contains("'a' is not a node number"), "\(error)")
        }
        XCTAssertThrowsError(try PlacementPolicy(parsing: "nodes=1,0,1")) { error in
            XCTAssertTrue("\(error)".contains("node 1 is listed twice"), "\(error)")
        }
        for bad in ["scatter", "nodes=", "nodes=-1", "nodes=+1", "nodes=4097", "nodes=0,,1", "nodes=٣"] {
            XCTAssertThrowsError(try PlacementPolicy(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("none, compact, spread or nodes=0,2"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            }
        }
        XCTAssertThrowsError(try PlacementPolicy.parseList("none,,spread"))
    }

    func testShards() throws {
        XCTAssertEqual(try ShardSetting.parse("2/4"), ShardSetting(index: 2, count: 4))
        XCTAssertTrue(try ShardSetting.parse("2/4").contains(position: 5))
        XCTAssertFalse(try ShardSetting.parse("2/4").contains(position: 4))
        for text in ["0/4", "5/4", "1/0", "1-4", "a/b", "1/2/3"] {
            XCTAssertThrowsError(try ShardSetting.parse(text), text)
        }
    }

    func testParams() throws {
        XCTAssertEqual(try ParameterAssignments.parse(["n=5", "mode=all", "n=5"]), ["n": "5", "mode": "all"])
        XCTAssertThrowsError(try ParameterAssignments.parse(["n"])) { error in
            XCTAssertEqual("\(error)", "param 'n' is not KEY=VALUE")
        }
        XCTAssertThrowsError(try ParameterAssignments.parse(["=4"]))
        XCTAssertThrowsError(try ParameterAssignments.parse(["n="]))
        XCTAssertThrowsError(try ParameterAssignments.parse(["n=1", "n=2"]))
    }
}
