extension HCLFunctions {
    /// alltrue, anytrue, chunklist, coalesce, coalescelist, compact, concat, contains,
    /// distinct, element, flatten, index, keys, length, lookup, merge, range, reverse,
    /// setintersection, setproduct, setunion, slice, sort, sum, values, zipmap.
    static let collections: [String: HCLFunction] = [
        "alltrue": HCLFunction([HCLParameter("list", .list(.bool))]) { a, _ in
            .bool((a[0].elements ?? []).allSatisfy { $0 == .bool(true) })
        },
        "anytrue": HCLFunction([HCLParameter("list", .list(.bool))]) { a, _ in
            .bool((a[0].elements ?? []).contains { $0 == .bool(true) })
        },
        "chunklist": HCLFunction([HCLParameter("list", .list(.dynamic)), HCLParameter("size", .number)]) { a, _ throws(HCLFunctionError) in
            let size = try HCLArgs.whole(a[1], 1, "size")
            guard size >= 0 else { throw HCLFunctionError(argument: 1, "the size argument must be positive") }
            guard case .list(let items, let type) = a[0] else { return a[0] }
            if items.isEmpty { return .list([], .list(type)) }
            if size == 0 { return .list([a[0]], .list(type)) }
            let chunks = stride(from: 0, to: items.count, by: size).map { HCLValue.list(Array(items[$0..<min($0 + size, items.count)]), type) }
            return .list(chunks, .list(type))
        },
        "coalesce": HCLFunction([], variadic: HCLParameter("vals", .dynamic, allowNull: true)) { a, _ throws(HCLFunctionError) in
            let unified: [HCLValue]
            do throws(HCLConversionError) { unified = try HCLValue.unified(a).0 } catch {
                throw HCLFunctionError("all arguments must have the same type")
            }
            guard let hit = unified.first(where: { !$0.isNull && $0 != .string("") }) else {
                throw HCLFunctionError("no non-null, non-empty-string arguments")
            }
            return hit
        },
        "coalescelist": HCLFunction([], variadic: HCLParameter("vals", .dynamic, allowNull: true)) { a, _ throws(HCLFunctionError) in
            guard !a.isEmpty else { throw HCLFunctionError("at least one argument is required") }
            for v in a where !v.isNull {
                switch v {
                case .list(let e, _), .tuple(let e): if !e.isEmpty { return v }
                default: throw HCLFunctionError("coalescelist arguments must be lists or tuples")
                }
            }
            throw HCLFunctionError("no non-null arguments")
        },
        "compact": HCLFunction([HCLParameter("list", .list(.string))]) { a, _ in
            .list((a[0].elements ?? []).filter { !$0.isNull && $0 != .string("") }, .string)
        },
        "concat": HCLFunction([], variadic: HCLParameter("seqs", .dynamic)) { a, _ throws(HCLFunctionError) in
            guard !a.isEmpty else { throw HCLFunctionError("at least one argument is required") }
            var all: [HCLValue] = []
            var allLists = true
            var listTypes = Set<HCLType>()
            for (i, v) in a.enumerated() {
                switch v {
                case .list(let e, let t): all += e; listTypes.insert(t)
                case .tuple(let e): all += e; allLists = false
                default: throw HCLFunctionError(argument: i, "all arguments must be lists or tuples; got \(v.type.friendlyName)")
                }
            }
            if allLists, listTypes.count == 1 { return .list(all, listTypes.first!) }
            if allLists { return try HCLArgs.list(all) }
            return .tuple(all)
        },
        "contains": HCLFunction([HCLParameter("list", .dynamic), HCLParameter("value", .dynamic)]) { a, _ throws(HCLFunctionError) in
            guard let items = a[0].elements else { throw HCLFunctionError("argument must be list, tuple, or set") }
            return .bool(items.contains { $0 == a[1] || (($0.isSequence || $0.members != nil) && HCLArgs.sameContent($0, a[1])) })
        },
        "distinct": HCLFunction([HCLParameter("list", .list(.dynamic))]) { a, _ in
            guard case .list(let items, let type) = a[0] else { return a[0] }
            var out: [HCLValue] = []
            for v in items where !out.contains(v) { out.append(v) }
            return .list(out, type)
        },
        "element": HCLFunction([HCLParameter("list", .dynamic), HCLParameter("index", .number)]) { a, _ throws(HCLFunctionError) in
            let items: [HCLValue]
            switch a[0] {
            case .list(let e, _), .tuple(let e): items = e
            default: throw HCLFunctionError("cannot read elements from \(a[0].type.friendlyName)")
            }
            let k: Int
            do throws(HCLFunctionError) { k = try HCLArgs.whole(a[1], 1, "index") } catch {
                throw HCLFunctionError("invalid index: value must be a whole number")
            }
            guard !items.isEmpty else { throw HCLFunctionError("cannot use element function with an empty list") }
            var i = k % items.count
            if i < 0 { i += items.count }
            return items[i]
        },
        "flatten": HCLFunction([HCLParameter("list", .dynamic)]) { a, _ throws(HCLFunctionError) in
            guard a[0].isSequence else { throw HCLFunctionError("can only flatten lists, sets and tuples") }
            func flat(_ v: HCLValue) -> [HCLValue] {
                guard let e = v.elements else { return [v] }
                return e.flatMap(flat)
            }
            return .tuple(flat(a[0]))
        },
        "index": HCLFunction([HCLParameter("list", .dynamic), HCLParameter("value", .dynamic)]) { a, _ throws(HCLFunctionError) in
            let items: [HCLValue]
            switch a[0] {
            case .list(let e, _), .tuple(let e): items = e
            default: throw HCLFunctionError("argument must be a list or tuple")
            }
            guard !items.isEmpty else { throw HCLFunctionError("cannot search an empty list") }
            if let i = items.firstIndex(where: { HCLArgs.sameContent($0, a[1]) }) { return .number(Double(i)) }
            throw HCLFunctionError("item not found")
        },
        "keys": HCLFunction([HCLParameter("inputMap", .dynamic)]) { a, _ throws(HCLFunctionError) in
            switch a[0] {
            case .map(let m, _): return .list(m.keys.sorted().map(HCLValue.string), .string)
            case .object(let m): return .tuple(m.keys.sorted().map(HCLValue.string))
            default: throw .invalid(0, "inputMap", "must have map or object type")
            }
        },
        "values": HCLFunction([HCLParameter("mapping", .dynamic)]) { a, _ throws(HCLFunctionError) in
            switch a[0] {
            case .map(let m, let t): return .list(m.keys.sorted().map { m[$0]! }, t)
            case .object(let m): return .tuple(m.keys.sorted().map { m[$0]! })
            default: throw HCLFunctionError("values() requires a map as the first argument")
            }
        },
        "length": HCLFunction([HCLParameter("value", .dynamic)]) { a, _ throws(HCLFunctionError) in
            switch a[0] {
            case .string(let s): return .number(Double(s.count))
            case .list(let e, _), .set(let e, _), .tuple(let e): return .number(Double(e.count))
            case .map(let m, _), .object(let m): return .number(Double(m.count))
            default: throw HCLFunctionError("argument must be a string, a collection type, or a structural type")
            }
        },
        "lookup": HCLFunction([HCLParameter("inputMap", .dynamic), HCLParameter("key", .string), HCLParameter("default", .dynamic)]) { a, _ throws(HCLFunctionError) in
            let key = a[1].argString
            switch a[0] {
            case .object(let m): return m[key] ?? a[2]
            case .map(let m, let t):
                if let v = m[key] { return v }
                do throws(HCLConversionError) { return try a[2].converted(to: t) } catch {
                    throw .invalid(2, "default", "the default value must have the same type as the map elements")
                }
            default: throw .invalid(0, "inputMap", "lookup() requires a map as the first argument")
            }
        },
        "merge": HCLFunction([], variadic: HCLParameter("maps", .dynamic, allowNull: true)) { a, _ throws(HCLFunctionError) in
            var out: [String: HCLValue] = [:]
            var mapTypes = Set<HCLType>()
            var allMaps = true
            for v in a where !v.isNull {
                switch v {
                case .map(let m, let t): out.merge(m) { _, new in new }; mapTypes.insert(t)
                case .object(let m): out.merge(m) { _, new in new }; allMaps = false
                default: throw HCLFunctionError("arguments must be maps or objects, got \"\(v.type.friendlyName)\"")
                }
            }
            if allMaps, mapTypes.count == 1 { return .map(out, mapTypes.first!) }
            if allMaps, !mapTypes.isEmpty {
                // Maps of different element types merge into a map of their unified type.
                let keys = out.keys.sorted()
                guard case .list(let values, let t) = try HCLArgs.list(keys.map { out[$0]! }) else { return .object(out) }
                return .map(Dictionary(uniqueKeysWithValues: zip(keys, values)), t)
            }
            return .object(out)
        },
        "range": HCLFunction([], variadic: HCLParameter("params", .number)) { a, _ throws(HCLFunctionError) in
            var start = 0.0, end = 0.0, step = 1.0
            switch a.count {
            case 1: end = a[0].argNumber
            case 2: start = a[0].argNumber; end = a[1].argNumber
            case 3: start = a[0].argNumber; end = a[1].argNumber; step = a[2].argNumber
            default: throw HCLFunctionError("must have one, two, or three arguments")
            }
            if a.count < 3, end < start { step = -1 }
            guard step != 0 else { throw HCLFunctionError(argument: 2, "step must not be zero") }
            if step < 0, end > start { throw HCLFunctionError(argument: 1, "end must be less than start when step is negative") }
            if step > 0, end < start { throw HCLFunctionError(argument: 1, "end must be greater than start when step is positive") }
            var out: [HCLValue] = []
            var v = start
            while step > 0 ? v < end : v > end {
                if out.count >= 1024 {
                    throw HCLFunctionError("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step")
                }
                out.append(.number(v))
                v += step
            }
            return .list(out, .number)
        },
        "reverse": HCLFunction([HCLParameter("list", .dynamic)]) { a, _ throws(HCLFunctionError) in
            switch a[0] {
            case .list(let e, let t): return .list(e.reversed(), t)
            case .tuple(let e): return .tuple(e.reversed())
            default: throw .invalid(0, "list", "can only reverse list or tuple values, not \(a[0].type.friendlyName)")
            }
        },
        "setintersection": HCLFunction([HCLParameter("first_set", .set(.dynamic))], variadic: HCLParameter("other_sets", .set(.dynamic))) { a, _ throws(HCLFunctionError) in
            let (sets, type) = try HCLArgs.sets(a)
            return .set(sets[0].filter { e in sets.dropFirst().allSatisfy { $0.contains(e) } }, of: type)
        },
        "setunion": HCLFunction([HCLParameter("first_set", .set(.dynamic))], variadic: HCLParameter("other_sets", .set(.dynamic))) { a, _ throws(HCLFunctionError) in
            let (sets, type) = try HCLArgs.sets(a)
            return .set(sets.flatMap { $0 }, of: type)
        },
        "setproduct": HCLFunction([], variadic: HCLParameter("sets", .dynamic)) { a, _ throws(HCLFunctionError) in
            guard a.count >= 2 else { throw HCLFunctionError("at least two arguments are required") }
            var anyList = false
            var columns: [[HCLValue]] = []
            for (i, v) in a.enumerated() {
                switch v {
                case .set(let e, _): columns.append(e)
                case .list(let e, _): columns.append(e); anyList = true
                case .tuple(let e):
                    do throws(HCLConversionError) { columns.append(try HCLValue.unified(e).0) } catch {
                        throw HCLFunctionError(argument: i, "all elements must be of the same type")
                    }
                    anyList = true
                default: throw HCLFunctionError(argument: i, "a set or a list is required")
                }
            }
            var rows: [[HCLValue]] = [[]]
            for column in columns { rows = rows.flatMap { row in column.map { row + [$0] } } }
            let tuples = rows.map(HCLValue.tuple)
            let type = HCLType.tuple(columns.map { $0.first?.type ?? .dynamic })
            return anyList ? .list(tuples, type) : .set(tuples, of: type)
        },
        "slice": HCLFunction([HCLParameter("list", .dynamic), HCLParameter("start_index", .number), HCLParameter("end_index", .number)]) { a, _ throws(HCLFunctionError) in
            if case .set = a[0] {
                throw .invalid(0, "list", "cannot slice a set, because its elements do not have indices; explicitly convert to a list if the ordering of the result is not important")
            }
            guard a[0].isSequence else { throw .invalid(0, "list", "must be a list or tuple value") }
            let items = a[0].elements ?? []
            let start = try HCLArgs.whole(a[1], 1, "start_index"), end = try HCLArgs.whole(a[2], 2, "end_index")
            guard start >= 0 else { throw .invalid(1, "start_index", "start index must not be less than zero") }
            guard start <= items.count else { throw .invalid(1, "start_index", "start index must not be greater than the length of the list") }
            guard end >= 0 else { throw .invalid(2, "end_index", "end index must not be less than zero") }
            guard end <= items.count else { throw .invalid(2, "end_index", "end index must not be greater than the length of the list") }
            guard start <= end else { throw .invalid(1, "start_index", "start index must not be greater than end index") }
            if case .list(_, let t) = a[0] { return .list(Array(items[start..<end]), t) }
            return .tuple(Array(items[start..<end]))
        },
        "sort": HCLFunction([HCLParameter("list", .list(.string))]) { a, _ throws(HCLFunctionError) in
            let items = a[0].elements ?? []
            if let i = items.firstIndex(where: \.isNull) {
                throw .invalid(0, "list", "given list element \(i) is null; a null string cannot be sorted")
            }
            return .list(items.map(\.argString).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map(HCLValue.string), .string)
        },
        "sum": HCLFunction([HCLParameter("list", .dynamic)]) { a, _ throws(HCLFunctionError) in
            guard let items = a[0].elements else {
                if a[0].type.isPrimitive { throw .invalid(0, "list", "cannot sum noniterable") }
                throw .invalid(0, "list", "argument must be list, set, or tuple. Received \(a[0].type.friendlyName)")
            }
            guard !items.isEmpty else { throw .invalid(0, "list", "cannot sum an empty list") }
            var total = 0.0
            for v in items {
                guard let d = try? v.converted(to: .number), case .number(let x) = d else {
                    throw .invalid(0, "list", "argument must be list, set, or tuple of number values")
                }
                if total.isInfinite, x.isInfinite, total.sign != x.sign { throw HCLFunctionError("can't compute sum of opposing infinities") }
                total += x
            }
            return .number(total)
        },
        "zipmap": HCLFunction([HCLParameter("keys", .list(.string)), HCLParameter("values", .dynamic)]) { a, _ throws(HCLFunctionError) in
            let keys = a[0].elements ?? []
            switch a[1] {
            case .list(let values, let t): return .map(try HCLArgs.zip(keys, values), t)
            case .tuple(let values): return .object(try HCLArgs.zip(keys, values))
            default: throw HCLFunctionError("values argument must be a list or tuple value")
            }
        },
    ]
}

extension HCLArgs {
    /// Whether two values are equal once numbers and strings are compared as cty's `==`
    /// compares a tuple element with a list element (`1` and `1` in different collections).
    static func sameContent(_ x: HCLValue, _ y: HCLValue) -> Bool {
        if x == y { return true }
        switch (x, y) {
        case (.list(let a, _), .list(let b, _)), (.list(let a, _), .tuple(let b)), (.tuple(let a), .list(let b, _)),
             (.tuple(let a), .tuple(let b)), (.set(let a, _), .set(let b, _)):
            return a.count == b.count && Swift.zip(a, b).allSatisfy(sameContent)
        case (.map(let a, _), .map(let b, _)), (.map(let a, _), .object(let b)), (.object(let a), .map(let b, _)), (.object(let a), .object(let b)):
            return a.keys.sorted() == b.keys.sorted() && a.keys.allSatisfy { sameContent(a[$0]!, b[$0]!) }
        default:
            return false
        }
    }

    /// Set arguments unified to one element type.
    static func sets(_ args: [HCLValue]) throws(HCLFunctionError) -> ([[HCLValue]], HCLType) {
        let all = args.flatMap { $0.elements ?? [] }
        do throws(HCLConversionError) {
            let (_, type) = try HCLValue.unified(all)
            var out: [[HCLValue]] = []
            for a in args { out.append(try (a.elements ?? []).map { (v) throws(HCLConversionError) in try v.converted(to: type) }) }
            return (out, type)
        } catch {
            throw HCLFunctionError("given sets must all have compatible element types")
        }
    }

    /// Keys paired with values for `zipmap`.
    static func zip(_ keys: [HCLValue], _ values: [HCLValue]) throws(HCLFunctionError) -> [String: HCLValue] {
        guard keys.count == values.count else {
            throw HCLFunctionError("number of keys (\(keys.count)) does not match number of values (\(values.count))")
        }
        var out: [String: HCLValue] = [:]
        for (i, k) in keys.enumerated() {
            guard case .string(let key) = k else { throw HCLFunctionError("keys list has null value at index \(i)") }
            out[key] = values[i]
        }
        return out
    }
}
