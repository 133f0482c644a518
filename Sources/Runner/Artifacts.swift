import Foundation
import Hashing
import NN

/// The run cache's artifact store: named float arrays a method keeps across runs (Attentive CutMix's teacher
/// weights), one file each under `<cache>/artifacts/`, written atomically. The file name is a hash of the name and
/// of `namespace` — the declared numerics versions of the core engine and of the run's regularizers — so an artifact
/// made by code that computes other numbers is never read. Values are raw little-endian Float32 bits.
public final class DiskArtifacts: ArtifactStore {
  public let directory: URL
  public let namespace: String
  private var memory: [String: [Float]] = [:]

  public init(directory: URL, namespace: String) {
    self.directory = directory
    self.namespace = namespace
  }

  /// The store for a run of `regularizers` in the cache `directory`.
  public convenience init(cache directory: URL, regularizers: [String]) {
    let versions = regularizers.sorted().map { EngineVersion.numericsTag($0) }
    self.init(
      directory: directory.appendingPathComponent("artifacts"),
      namespace: (["engine=" + NumericsVersion.engineTag] + versions).joined(separator: ";"))
  }

  func url(_ name: String) -> URL {
    directory.appendingPathComponent(String(SHA256.hex(namespace + "\n" + name).prefix(32)) + ".f32")
  }

  public func load(_ name: String) -> [Float]? {
    if let known = memory[name] { return known }
    guard let data = FileManager.default.contents(atPath: url(name).path), data.count % 4 == 0 else { return nil }
    let values = data.withUnsafeBytes { raw in
      (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
    memory[name] = values
    return values
  }

  public func store(_ name: String, _ values: [Float]) {
    memory[name] = values
    var data = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    // A failed write only costs the next run the work again.
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try? AtomicFile.write(data, to: url(name))
  }
}
