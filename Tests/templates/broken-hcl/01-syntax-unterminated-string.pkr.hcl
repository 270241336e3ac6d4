variable "a" {
  default = "open
}
