import AlicloudKit
import Testing

/// The reader that replaced FoundationXML: real-shaped OSS and WS-Man documents, and each
/// kind of malformed input with its exact error.
@Suite struct XMLReaderTests {
    func read(_ text: String) throws -> XMLElementNode { try XMLReader.read(Array(text.utf8)) }

    /// The error `text` is refused with.
    func refusal(_ text: String, maxDepth: Int = XMLReader.defaultMaxDepth) -> String? {
        refusal(Array(text.utf8), maxDepth: maxDepth)
    }

    func refusal(_ bytes: [UInt8], maxDepth: Int = XMLReader.defaultMaxDepth) -> String? {
        do {
            _ = try XMLReader.read(bytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: OSS answers

    @Test func listObjectsAnswer() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult>
              <Name>images-cn-hangzhou</Name>
              <Prefix>base/</Prefix>
              <Marker></Marker>
              <MaxKeys>100</MaxKeys>
              <Delimiter></Delimiter>
              <IsTruncated>false</IsTruncated>
              <Contents>
                <Key>base/debian-12.qcow2</Key>
                <LastModified>2026-11-30T08:12:45.000Z</LastModified>
                <ETag>"5B3C1A2D9E0F4A7B8C6D5E4F3A2B1C0D-3"</ETag>
                <Type>Multipart</Type>
                <Size>3221225472</Size>
                <StorageClass>Standard</StorageClass>
                <Owner><ID>1837</ID><DisplayName>1837</DisplayName></Owner>
              </Contents>
              <Contents>
                <Key>base/notes &amp; checksums.txt</Key>
                <ETag>&quot;0A1B&quot;</ETag>
                <Size>42</Size>
              </Contents>
            </ListBucketResult>
            """
        let doc = try #require(XMLTree.parse(Array(body.utf8)))
        #expect(doc.name == "ListBucketResult")
        #expect(doc["Name"] == "images-cn-hangzhou")
        #expect(doc["Marker"] == "")
        let contents = doc.all("Contents")
        #expect(contents.map { $0["Key"] } == ["base/debian-12.qcow2", "base/notes & checksums.txt"])
        #expect(contents[0]["ETag"] == "\"5B3C1A2D9E0F4A7B8C6D5E4F3A2B1C0D-3\"")
        #expect(contents[1]["ETag"] == "\"0A1B\"")
        #expect(contents[0].child("Owner")?["DisplayName"] == "1837")
        #expect(doc.text == "")
    }

    @Test func initiateMultipartUploadAnswer() throws {
        let body = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\r\n"
            + "<InitiateMultipartUploadResult>\r\n  <Bucket>images</Bucket>\r\n  <Key>win/2022.vhd</Key>\r\n"
            + "  <UploadId>0004B9894A22E5B1888A1E29F8236E2D</UploadId>\r\n</InitiateMultipartUploadResult>\r\n"
        let doc = try #require(XMLTree.parse(Array(body.utf8)))
        #expect(doc["UploadId"] == "0004B9894A22E5B1888A1E29F8236E2D")
        #expect(doc["Key"] == "win/2022.vhd")
        #expect(doc.children.map(\.name) == ["Bucket", "Key", "UploadId"])
    }

    @Test func errorAnswer() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error>
              <Code>NoSuchUpload</Code>
              <Message>The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.</Message>
              <RequestId>656C5D9A1E8B2C3D4E5F6A7B</RequestId>
              <HostId>images.oss-cn-hangzhou.aliyuncs.com</HostId>
              <UploadId>0004B9894A22E5B1888A1E29F8236E2D</UploadId>
              <EC>0042-00000104</EC>
            </Error>
            """
        let doc = try #require(XMLTree.parse(Array(body.utf8)))
        #expect(doc["Code"] == "NoSuchUpload")
        #expect(doc["RequestId"] == "656C5D9A1E8B2C3D4E5F6A7B")
        #expect(doc["Message"]?.hasPrefix("The specified upload does not exist.") == true)
    }

    @Test func serialisedTreeReadsBack() throws {
        let tree = XMLTree(name: "CompleteMultipartUpload", children: [
            XMLTree(name: "Part", children: [XMLTree(name: "PartNumber", text: "1"), XMLTree(name: "ETag", text: "\"A&B<'C'>\"")]),
        ])
        #expect(XMLTree.parse(Array(tree.serialized().utf8)) == tree)
    }

    // MARK: WS-Man envelopes

    @Test func capturedRequestsReadWithNamespaces() throws {
        for envelope in [WinRMCaptures.create, WinRMCaptures.command, WinRMCaptures.receive, WinRMCaptures.signal, WinRMCaptures.delete, WinRMCaptures.send] {
            let root = try read(envelope)
            #expect(root.qualifiedName == "env:Envelope" && root.prefix == "env" && root.name == "Envelope")
            #expect(root.namespace == WSMan.soap)
            let header = try #require(root.child("Header", WSMan.soap))
            #expect(header.child("MessageID", WSMan.addressing)?.text.hasPrefix("uuid:") == true)
            let locale = try #require(header.child("Locale", WSMan.wsman))
            #expect(locale.attributes == ["mustUnderstand": "false", "lang": "en-US"])
            #expect(locale.attributeList.last == XMLAttribute(qualifiedName: "xml:lang", name: "lang", namespace: XMLReader.xmlNamespace, value: "en-US"))
            #expect(root.attributes.isEmpty)
            #expect(root.attributeList.first { $0.qualifiedName == "xmlns:rsp" }?.value == WSMan.shell)
        }
        let signal = try read(WinRMCaptures.signal)
        #expect(signal.first("Signal", WSMan.shell)?.attributes["CommandId"] == WinRMCaptures.commandID)
    }

    @Test func prefixesAreResolvedNotMatched() throws {
        // The same envelope with other prefixes and a default namespace reads the same.
        let xml = """
            <Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:sh="\(WSMan.shell)">
              <Body><sh:Receive><sh:DesiredStream CommandId="C1">stdout</sh:DesiredStream></sh:Receive>
              <Plain xmlns=""><Inner/></Plain></Body>
            </Envelope>
            """
        let root = try read(xml)
        #expect(root.namespace == WSMan.soap && root.prefix == "")
        let stream = try #require(root.first("DesiredStream", WSMan.shell))
        #expect(stream.qualifiedName == "sh:DesiredStream" && stream.attributes["CommandId"] == "C1")
        #expect(stream.attributeList[0].namespace == "")
        let plain = try #require(root.first("Plain"))
        #expect(plain.namespace == "" && plain.children.first?.namespace == "")
        #expect(root.first("Receive", WSMan.soap) == nil)
    }

    @Test func textCDATAAndReferences() throws {
        let root = try read("<a x='1 &lt; 2' y=\"tab\there\r\nnext\">one &amp; <b/>two<![CDATA[ <raw> & ]]>&#65;&#x1F600;&apos;&gt;\r\n</a>")
        #expect(root.attributes["x"] == "1 < 2")
        #expect(root.attributes["y"] == "tab here next")
        #expect(root.text == "one & two <raw> & A\u{1F600}'>\n")
        #expect(root.children.map(\.name) == ["b"])
        #expect(try read("<a>\u{00E9}t\u{00E9}</a>").text == "\u{00E9}t\u{00E9}")
    }

    @Test func trimmedTextDropsUnicodeWhitespaceOnly() throws {
        let root = try read("<a>\n\t\u{00A0}\u{3000} x\u{2028} y \r\n\u{2029}</a>")
        #expect(root.trimmedText == "x\u{2028} y")
        #expect(XMLTree(root).text == "x\u{2028} y")
        #expect(try read("<a> \n </a>").trimmedText == "")
        #expect(try read("<a>&#160;\u{00E9}&#x20;</a>").trimmedText == "\u{00E9}")
    }

    @Test func skippedMarkup() throws {
        let root = try read("\u{FEFF}<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<!-- before --><?pi data?>\n<r><!-- in - side --><?x y?>t</r>\n<!-- after -->\n")
        #expect(root.name == "r" && root.text == "t" && root.children.isEmpty)
        #expect(try read("<r/>").text == "")
    }

    @Test func clixmlStillDecodes() {
        let clixml = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">oops_x000D__x000A_</S><S S=\"Output\">ignored</S></Objs>"
        #expect(String(decoding: CLIXML.plainText(Array(clixml.utf8)), as: UTF8.self) == "oops\n")
    }

    // MARK: malformed input

    @Test func malformedDocumentsAreRefusedWithWhereAndWhy() {
        let cases: [(String, String)] = [
            ("", "line 1, column 1: no root element"),
            ("  \n <!-- only a comment -->", "line 2, column 25: no root element"),
            ("hello", "line 1, column 1: text before the root element"),
            ("<a>", "line 1, column 4: unexpected end of input: <a> is not closed"),
            ("<a><b></a>", "line 1, column 7: end tag </a> does not match <b>"),
            ("<a></a><b/>", "line 1, column 8: content after the root element"),
            ("<a></a>tail", "line 1, column 8: content after the root element"),
            ("<a x='1' x='2'/>", "line 1, column 10: attribute x appears twice in <a>"),
            ("<a x=1/>", "line 1, column 6: expected a quoted attribute value"),
            ("<a x/>", "line 1, column 5: expected '=' after the attribute x"),
            ("<a x='1'y='2'/>", "line 1, column 9: expected whitespace, '>' or '/>' in the tag <a>"),
            ("<a x='<'/>", "line 1, column 7: '<' is not allowed in an attribute value"),
            ("<a x='1", "line 1, column 8: unexpected end of input in an attribute value"),
            ("<a>&nbsp;</a>", "line 1, column 4: undefined entity &nbsp;"),
            ("<a>fish & chips</a>", "line 1, column 9: '&' does not start an entity reference ending in ';'"),
            ("<a>&#0;</a>", "line 1, column 4: &#0; is not a valid character reference"),
            ("<a>&#xD800;</a>", "line 1, column 4: &#xD800; is not a valid character reference"),
            ("<a>&#x110000;</a>", "line 1, column 4: &#x110000; is not a valid character reference"),
            ("<a>&#12a;</a>", "line 1, column 4: &#12a; is not a valid character reference"),
            ("<a>]]></a>", "line 1, column 4: ']]>' is not allowed in text"),
            ("<a><![CDATA[x</a>", "line 1, column 4: unterminated CDATA section"),
            ("<a><!-- x</a>", "line 1, column 4: unterminated comment"),
            ("<a><!-- x -- y --></a>", "line 1, column 11: '--' is not allowed inside a comment"),
            ("<a><?pi x</a>", "line 1, column 4: unterminated processing instruction <?pi"),
            ("<a><?xml version='1.0'?></a>", "line 1, column 4: the XML declaration is only allowed at the very start"),
            (" <?xml version='1.0'?><a/>", "line 1, column 2: the XML declaration is only allowed at the very start"),
            ("<?xml version='1.0' encoding='ISO-8859-1'?><a/>", "line 1, column 1: encoding ISO-8859-1 is not supported (UTF-8 only)"),
            ("<?xml version='1.0'<a/>", "line 1, column 1: unterminated XML declaration"),
            ("<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "line 1, column 1: DOCTYPE declarations are not supported"),
            ("<a><!DOCTYPE b></a>", "line 1, column 4: unexpected markup '<!' inside <a>"),
            ("< a/>", "line 1, column 2: expected an element name after '<'"),
            ("<a></ a>", "line 1, column 6: expected a name"),
            ("<a></a", "line 1, column 7: unexpected end of input where '>' to end </a> was expected"),
            ("<a", "line 1, column 3: unexpected end of input in the tag <a>"),
            ("<p:a/>", "line 1, column 2: namespace prefix p is not declared"),
            ("<a p:x='1'/>", "line 1, column 4: namespace prefix p is not declared"),
            ("<a:b:c xmlns:a='u'/>", "line 1, column 2: a:b:c is not a valid qualified name"),
            ("<a xmlns:p=''/>", "line 1, column 4: the prefix p cannot be bound to an empty URI"),
            ("<a xmlns:xml='urn:x'/>", "line 1, column 4: the prefix xml cannot be bound to urn:x"),
            ("<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>", "line 1, column 36: attribute q:x repeats another one's namespace and name in <a>"),
            ("<a>\n  <b>\u{00E9}\u{00E9}&bad;</b>\n</a>", "line 2, column 8: undefined entity &bad;"),
        ]
        for (input, expected) in cases {
            #expect(refusal(input) == expected, "input: \(input)")
        }
    }

    @Test func bytesThatAreNotXMLCharacters() {
        #expect(refusal([0x3C, 0x61, 0x3E, 0xFF, 0x3C, 0x2F, 0x61, 0x3E]) == "line 1, column 4: invalid UTF-8 byte 0xFF")
        #expect(refusal([0x3C, 0x61, 0x3E, 0xC3, 0x28, 0x3C, 0x2F, 0x61, 0x3E]) == "line 1, column 5: invalid UTF-8 byte 0x28")
        #expect(refusal([0x3C, 0x61, 0x3E, 0xED, 0xA0, 0x80, 0x3C, 0x2F, 0x61, 0x3E]) == "line 1, column 5: invalid UTF-8 byte 0xA0")
        #expect(refusal([0x3C, 0x61, 0x3E, 0xE2, 0x82]) == "line 1, column 4: truncated UTF-8 sequence")
        #expect(refusal("<a>\u{0001}</a>") == "line 1, column 4: control character U+0001 is not allowed in XML")
        #expect(refusal("<a>\u{FFFF}</a>") == "line 1, column 4: character U+FFFF is not allowed in XML")
    }

    @Test func depthIsBounded() throws {
        let nested = { (n: Int) in String(repeating: "<d>", count: n) + String(repeating: "</d>", count: n) }
        #expect(try read(nested(XMLReader.defaultMaxDepth)).name == "d")
        #expect(refusal(nested(XMLReader.defaultMaxDepth + 1)) == "line 1, column \(3 * XMLReader.defaultMaxDepth + 1): elements nested deeper than 256")
        #expect(refusal("<a><b><c/></b></a>", maxDepth: 2) == "line 1, column 7: elements nested deeper than 2")
        // Far deeper input is refused the same way, not by exhausting the stack.
        #expect(refusal(String(repeating: "<d>", count: 100_000))?.hasSuffix("elements nested deeper than 256") == true)
    }

    @Test func everyTruncationOfARealEnvelopeIsRefusedNotCrashed() {
        let bytes = Array(WinRMCaptures.signal.utf8)
        for n in stride(from: 0, to: bytes.count, by: 7) {
            #expect(refusal(Array(bytes[0..<n])) != nil, "prefix of \(n) bytes")
        }
        #expect(refusal(bytes) == nil)
    }

    @Test func parseWrappersSayNilOnMalformedInput() {
        #expect(XMLTree.parse(Array("<a><b></a>".utf8)) == nil)
        #expect(XMLElementNode.parse(Array("<a>".utf8)) == nil)
    }
}
