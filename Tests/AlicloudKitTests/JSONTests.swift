import Testing
@testable import AlicloudKit

@Suite struct JSONParserTests {
    @Test func parsesEveryKind() throws {
        let v = try JSONParser.parse(#"{"a":[1,-2.5e3,true,false,null],"b":"x\n\u00e9\ud83d\ude00"}"#)
        #expect(v["a"] == [1, .number("-2.5e3"), true, false, nil])
        #expect(v["b"]?.stringValue == "x\né😀")
    }

    @Test func writesSortedKeysAndEscapes() {
        let v: JSONValue = ["b": 1, "a": ["z": "q\"\u{01}", "y": []], "B": .object([:])]
        #expect(v.serialized(pretty: false) == #"{"B":{},"a":{"y":[],"z":"q\"\u0001"},"b":1}"#)
        #expect(v.document == "{\n  \"B\": {},\n  \"a\": {\n    \"y\": [],\n    \"z\": \"q\\\"\\u0001\"\n  },\n  \"b\": 1\n}\n")
    }

    @Test func roundTripsLargeIntegers() throws {
        let v = try JSONParser.parse("[123456789012345678901234567890]")
        #expect(v.serialized(pretty: false) == "[123456789012345678901234567890]")
    }

    @Test(arguments: [
        ("{\"a\":1,}", "1:8: unexpected character '}', expected a string key"),
        ("[1 2]", "1:4: unexpected character '2', expected ',' or ']'"),
        ("{\n  \"a\": tru\n}", "2:8: invalid literal, expected true"),
        ("\"abc", "1:5: unterminated string"),
        ("01", "1:2: unexpected character '1' after the top-level value"),
        ("", "1:1: unexpected end of input, expected a value"),
        ("{\"a\" 1}", "1:6: unexpected character '1', expected ':' after key \"a\""),
        ("[\"\\q\"]", "1:3: invalid escape '\\q' in a string"),
    ])
    func reportsSyntaxErrorsWithPositions(input: String, expected: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func rejectsInvalidUTF8() {
        do {
            _ = try JSONParser.parse([0x22, 0x61, 0xFF, 0x22])
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.description == "1:3: invalid UTF-8 byte 0xff")
        }
    }

    @Test func recordsPositionsAndDuplicates() throws {
        let doc = try JSONParser.parseDocument(Array("{\n  \"builders\": [\n    {\"type\": \"x\", \"type\": \"y\"}\n  ]\n}".utf8))
        #expect(doc.positions["builders"] == SourcePosition(line: 2, column: 3))
        #expect(doc.positions["builders[0].type"] == SourcePosition(line: 3, column: 6))
        #expect(doc.duplicates.count == 1)
        #expect(doc.duplicates.first?.path == "builders[0].type")
        #expect(doc.duplicates.first?.position == SourcePosition(line: 3, column: 19))
        #expect(doc.value["builders"]?.arrayValue?.first?["type"] == "y")
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
    }
}

@Suite struct JSONQueryTests {
    let response: JSONValue = [
        "TotalCount": 2,
        "Images": ["Image": [["ImageId": "m-1", "Size": 20], ["ImageId": "m-2", "Size": 40]]],
        "Ok": true, "Nothing": nil,
        "Tags": ["a.b": "dotted"],
    ]

    @Test(arguments: [
        ("TotalCount", "2\n"),
        ("Images.Image[0].ImageId", "m-1\n"),
        ("Images.Image[*].ImageId", "m-1\nm-2\n"),
        ("Images.Image[-1].Size", "40\n"),
        ("Ok", "true\n"),
        ("Nothing", "\n"),
        ("Tags[\"a.b\"]", "dotted\n"),
        ("Images.Image[1]", "{\"ImageId\":\"m-2\",\"Size\":40}\n"),
    ])
    func selects(path: String, expected: String) throws {
        #expect(try JSONQuery(path).render(response) == expected)
    }

    @Test func missingValuesAreDataErrors() throws {
        do {
            _ = try JSONQuery("Images.Image[5].ImageId").render(response)
            Issue.record("no error")
        } catch let error as ToolError {
            #expect(error.status == .dataError)
            #expect(error.message == "--query Images.Image[5].ImageId: no value at Images.Image[5] (2 items)")
        }
    }

    @Test func malformedPathsAreUsageErrors() {
        for bad in ["a..b", "a[", "a[x]", ".a"] {
            #expect(throws: ToolError.self) { try JSONQuery(bad) }
        }
    }
}

@Suite struct JSONShellFormatTests {
    @Test func rendersAssignments() throws {
        let v: JSONValue = ["config": ["image-name": "it's", "regions": ["a", "b"], "tags": ["k": "v"], "n": 3, "on": true]]
        let sh = try JSONQuery("config").renderShell(v, prefix: "cfg_")
        #expect(sh == """
            cfg_image_name='it'\\''s'
            cfg_n=3
            cfg_on=true
            cfg_regions='a
            b'
            cfg_tags='{"k":"v"}'

            """)
    }

    @Test func nonObjectIsDataError() {
        #expect(throws: ToolError.self) { try JSONQuery("a").renderShell(["a": 1]) }
    }
}

@Suite struct QueryOutputTests {
    let spec = CommandSpec(tool: "t", usage: "t", help: "", options: QueryOutput.options)
    let doc: JSONValue = ["Zones": ["Zone": [["ZoneId": "a"], ["ZoneId": "b"]]], "tags": ["b": "2", "a": "1"]]

    func render(_ args: [String]) throws -> String { try QueryOutput(try spec.parse(args)).render(doc) }

    @Test func formats() throws {
        #expect(try render(["--query", "Zones.Zone", "--format", "count"]) == "2\n")
        #expect(try render(["--query", "tags", "--format", "pairs"]) == "a\t1\nb\t2\n")
        #expect(try render(["--query", "tags", "--format", "sh", "--sh-prefix", "t_"]) == "t_a=1\nt_b=2\n")
        #expect(try render(["--query", "Zones.Zone[1]", "--format", "json"]) == "{\n  \"ZoneId\": \"b\"\n}\n")
        #expect(try render(["--query", "Zones.Zone[*].ZoneId"]) == "a\nb\n")
        #expect(try render([]) == doc.document)
    }

    /// --format params: NUL-ended Name=Value records (ecs-call --params-from), nulls left out,
    /// a newline kept; a nested value is bad data.
    @Test func paramsFormat() throws {
        let call: JSONValue = ["api": ["Size": .int(40), "Description": "two\nlines", "Zone": nil, "On": true, "Disks": ["a"]]]
        func params(_ path: String) throws -> String {
            try QueryOutput(try spec.parse(["--query", path, "--format", "params"])).render(call)
        }
        #expect(throws: ToolError.self) { try params("api") }
        let ok: JSONValue = ["api": ["Size": .int(40), "Description": "two\nlines", "Zone": nil, "On": true]]
        #expect(try QueryOutput(try spec.parse(["--query", "api", "--format", "params"])).render(ok) == "Description=two\nlines\u{0}On=true\u{0}Size=40\u{0}")
    }

    @Test func badFormatIsUsage() {
        #expect(throws: ToolError.self) { try render(["--format", "xml"]) }
        #expect(throws: ToolError.self) { try render(["--format", "sh", "--sh-prefix", "a-b"]) }
    }
}

@Suite struct CodePatternTests {
    @Test func globsAtEitherEnd() {
        let p = CodePatterns(["*.NotFound,DependencyViolation*", "Throttling"])
        #expect(p.matches("InvalidVpcId.NotFound"))
        #expect(p.matches("DependencyViolation.VSwitch"))
        #expect(p.matches("Throttling"))
        #expect(!p.matches("Throttling.User"))
        #expect(!p.matches("NotFound.Thing"))
        #expect(RetryPolicy.isBusy("Foo.Bar", action: "CreateVpc", extra: ["Foo*"]))
        #expect(!RetryPolicy.isBusy("Foo.Bar", action: "CreateVpc", extra: ["Foo"]))
    }
}
