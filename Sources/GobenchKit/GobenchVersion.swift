// The version of gobench written into every CSV row.
public enum GobenchVersion {
    public static let string = "0.1.0"
}
