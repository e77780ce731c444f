// Fuzzes the duration parser that the runtime (GOBENCH_SCAVENGE) and gobench (--scavenge,
// --timeout, the report's axis) share, GobenchSettings' DurationText, with the scavenge
// setting and the size parser built the same way: values are in range, the canonical text
// reads back as the same value, errors are one line.
import FuzzSupport
import GobenchSettings

/// The first input byte picks the parser: `d` a duration, `s` a scavenge list, `b` a size
/// (others: by value); the rest is the flag's text.
@main
enum DurationFuzz {
    static func main() {
        FuzzDriver.run(name: "duration", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        guard let (selector, input) = selectorAndText(bytes) else { return }
        switch selector {
        case UInt8(ascii: "d"): duration(input)
        case UInt8(ascii: "s"): scavenge(input)
        case UInt8(ascii: "b"): size(input)
        default: [duration, scavenge, size][Int(selector) % 3](input)
        }
    }

    static func oneLineError(_ error: Error, input: String, mentions word: String) {
        guard let error = error as? SettingsError else { return require(false, "only SettingsError is thrown, got \(error)") }
        require(error.description.contains(word), "the error names \(word): \(error.description)")
        if isOneLine(input) { require(isOneLine(error.description), "the error is one line: \(error.description)") }
    }

    static func duration(_ input: String) {
        do {
            let nanoseconds = try DurationText.nanoseconds(input, what: "timeout")
            require(nanoseconds >= 1 && Double(nanoseconds) < 1e18, "a duration is positive and below 1e18 ns: \(nanoseconds)")
            let canonical = DurationText.format(nanoseconds: nanoseconds)
            require((try? DurationText.nanoseconds(canonical)) == nanoseconds, "canonical text \(canonical) reads back as \(nanoseconds) ns")
            require(DurationText.format(nanoseconds: (try? DurationText.nanoseconds(canonical)) ?? 0) == canonical, "the canonical text is a fixed point")
            let seconds = try DurationText.seconds(input)
            require(seconds == Double(nanoseconds) / 1e9, "seconds agrees with nanoseconds")
            let setting = try ScavengeSetting.parse(input)
            require(setting.intervalNanoseconds == nanoseconds, "a duration is the same scavenge interval")
        } catch {
            oneLineError(error, input: input, mentions: "timeout")
        }
    }

    static func scavenge(_ input: String) {
        do {
            let list = try ScavengeSetting.parseList(input)
            require(!list.isEmpty, "a scavenge list that parses is not empty")
            require(Set(list).count == list.count, "a scavenge list has no duplicates")
            for setting in list {
                require(setting.intervalNanoseconds.map { $0 >= 1 } ?? true, "an interval is positive")
                require((try? ScavengeSetting.parse(setting.description)) == setting, "scavenge \(setting) reads back the same")
            }
            let joined = list.map(\.description).joined(separator: ",")
            require((try? ScavengeSetting.parseList(joined)) == list, "scavenge list \(joined) reads back the same")
        } catch {
            oneLineError(error, input: input, mentions: "scavenge")
        }
    }

    static func size(_ input: String) {
        do {
            let bytes = try ByteSize.bytes(input, what: "GOBENCH_MAXSTACK")
            require(bytes >= 1 && bytes <= ByteSize.maximumBytes, "a size is from 1 to 1 TiB: \(bytes)")
            let canonical = ByteSize.format(bytes: bytes)
            require((try? ByteSize.bytes(canonical)) == bytes, "canonical size \(canonical) reads back as \(bytes)")
            require((try? ByteSize.bytes(String(bytes))) == bytes, "\(bytes) reads back the same")
        } catch {
            oneLineError(error, input: input, mentions: "GOBENCH_MAXSTACK")
        }
    }
}
