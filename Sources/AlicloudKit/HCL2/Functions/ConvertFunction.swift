extension HCLFunctions {
    /// `convert(value, type)` (hcl's typeexpr.ConvertFunc). Its second argument is a type
    /// expression, not a value, so it is not in the table: the evaluator decodes the type
    /// (as it does for a variable's `type`) and calls this.
    public static func convert(_ value: HCLValue, to type: HCLType) throws(HCLFunctionError) -> HCLValue {
        do throws(HCLConversionError) { return try value.converted(to: type) } catch {
            throw .invalid(0, "value", error.description)
        }
    }
}
