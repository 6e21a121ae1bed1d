/// Bad input to the join client: the message names the file, the peer and the field.
public enum JoinError: Error, Equatable, CustomStringConvertible {
    case badInput(String)
    public var description: String {
        switch self {
        case .badInput(let m): return m
        }
    }
}
