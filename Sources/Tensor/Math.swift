#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Thin wrappers so numeric code in this module does not depend on Foundation.
@inlinable func _log(_ x: Double) -> Double { log(x) }
@inlinable func _cos(_ x: Double) -> Double { cos(x) }
@inlinable func _sin(_ x: Double) -> Double { sin(x) }
@inlinable public func expf32(_ x: Float) -> Float { expf(x) }
@inlinable public func logf32(_ x: Float) -> Float { logf(x) }
@inlinable public func tanhf32(_ x: Float) -> Float { tanhf(x) }
@inlinable public func cosineOf(_ x: Double) -> Double { cos(x) }
