// The Go peer keeps its own parsers of -scavenge and -placement (Go's time.ParseDuration and
// settings_linux.go); this corpus checks that they read every text gobench sends the way
// GobenchSettings does, through the peer's -parse-setting mode.
import GobenchKit
import XCTest

final class SettingsAgreementTests: XCTestCase {
    /// Scavenge texts: canonical ones, fractions (Go's arithmetic truncates to whole
    /// nanoseconds, and so does DurationText), other spellings of the same value, bad ones.
    static let scavengeCorpus = [
        "off", "10ms", "2m", "1h", "90s", "1500ms", "250us", "250µs", "1ns", "999999999999ns",
        "1.5s", "0.3s", ".5s", "1.5ns", "2.9999ns", "0.0000000015s", "1.000000001s", "0.1m", "1.25h",
        "0ns", "0.5ns", "-5ms", "fast", "10", "1e3ms", "1m30s", "", "300000h",
    ]
    /// Placement texts: canonical ones (node order kept), and bad ones.
    static let placementCorpus = [
        "none", "compact", "spread", "nodes=0", "nodes=1,0", "nodes=3,0,2", "nodes=0,1,2,3",
        "nodes=0,0", "nodes=1,0,1", "nodes=", "nodes=a", "nodes=-1", "everywhere", "",
    ]
    /// Texts gobench refuses that the peer must refuse too (so the check can fail both ways).
    static let refusedByBoth = ["0ns", "0.5ns", "-5ms", "fast", "10", "", "nodes=0,0", "nodes=1,0,1", "nodes=", "nodes=a",
                                "nodes=-1", "everywhere"]

    func peerValue(_ peer: String, _ kind: String, _ text: String) throws -> String? {
        let run = try WorkloadsTestSupport.run(peer, ["-parse-setting", "\(kind)=\(text)"])
        return run.status == 0 ? run.lastLine : nil
    }

    func testThePeerReadsWhatGobenchSendsTheSameWay() throws {
        let peer = try WorkloadsTestSupport.goPeer()
        for text in SettingsAgreementTests.scavengeCorpus {
            let peerReads = try peerValue(peer, "scavenge", text)
            guard let setting = try? ScavengeSetting.parse(text) else {
                if SettingsAgreementTests.refusedByBoth.contains(text) {
                    XCTAssertNil(peerReads, "scavenge '\(text)': gobench refuses it, the peer reads \(peerReads ?? "")")
                }
                continue
            }
            let value = setting.intervalNanoseconds.map(String.init) ?? "off"
            // What gobench passes on is the canonical text.
            XCTAssertEqual(try peerValue(peer, "scavenge", setting.description), value, "scavenge '\(text)' sent as \(setting)")
            XCTAssertEqual(peerReads, value, "scavenge '\(text)': gobench reads \(value)")
        }
        for text in SettingsAgreementTests.placementCorpus {
            let peerReads = try peerValue(peer, "placement", text)
            guard let policy = try? PlacementPolicy(parsing: text) else {
                if SettingsAgreementTests.refusedByBoth.contains(text) {
                    XCTAssertNil(peerReads, "placement '\(text)': gobench refuses it, the peer reads \(peerReads ?? "")")
                }
                continue
            }
            XCTAssertEqual(try peerValue(peer, "placement", policy.description), policy.description, "placement '\(text)'")
            XCTAssertEqual(peerReads, policy.description, "placement '\(text)'")
        }
    }
}
