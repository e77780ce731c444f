// Fuzzes the hand-off from gobench to the runtime: a scavenge interval or placement that the
// command line accepts is passed on as its canonical text, which the runtime's own parsers
// (WorkloadRunner: parseInterval, PlacementPolicy) must read as the same setting.
import FuzzSupport
import GobenchKit
import Runtime

/// The first input byte picks the setting: `s` scavenge list, `p` placement list (others:
/// by parity); the rest is the flag's text.
@main
enum SettingsHandoffFuzz {
    static func main() {
        FuzzDriver.run(name: "settings-handoff", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        guard let (selector, input) = selectorAndText(bytes) else { return }
        switch selector {
        case UInt8(ascii: "s"): scavenge(input)
        case UInt8(ascii: "p"): placement(input)
        default: selector % 2 == 0 ? scavenge(input) : placement(input)
        }
    }

    static func scavenge(_ input: String) {
        guard let settings = try? ScavengeSetting.parseList(input) else { return }
        for setting in settings {
            let text = setting.description
            do {
                let runtime = try RuntimeConfiguration.parseInterval(text, name: "--scavenge")
                require(runtime == setting.intervalNanoseconds,
                        "--scavenge \(text): gobench means \(String(describing: setting.intervalNanoseconds)) ns, the runtime reads \(String(describing: runtime)) ns")
            } catch {
                require(false, "--scavenge \(text) accepted by gobench is refused by the runtime: \(error)")
            }
        }
    }

    static func placement(_ input: String) {
        guard let settings = try? PlacementSetting.parseList(input) else { return }
        for setting in settings {
            let text = setting.description
            do {
                let policy = try PlacementPolicy(parsing: text)
                switch (setting, policy) {
                case (.none, .none), (.compact, .compact), (.spread, .spread): break
                case (.nodes(let a), .nodes(let b)):
                    require(a == b, "--placement \(text): gobench means nodes \(a), the runtime reads \(b)")
                default:
                    require(false, "--placement \(text): gobench means \(setting), the runtime reads \(policy)")
                }
            } catch {
                require(false, "--placement \(text) accepted by gobench is refused by the runtime: \(error)")
            }
        }
    }
}
