# optional() belongs around an attribute's type in object({...}), with at most a default.
variable "bare" {
  type = optional(string)
}
variable "empty" {
  type = object({ size = optional() })
}
variable "bad_default" {
  type = object({ size = optional(number, "big") })
}
variable "two_defaults" {
  type = object({ size = optional(number, 1, 2) })
}
variable "in_list" {
  type = list(optional(string))
}
locals {
  # convert() takes a type with optional attributes, but no defaults.
  disk = convert({}, object({ size = optional(number, 40) }))
}

source "alicloud-ecs" "basic" {
  region        = "cn-beijing"
  image_name    = "packer_basic_${local.disk.size}"
  source_image  = "centos_7_03_64_20G_alibase_20170818.vhd"
  ssh_username  = "root"
  instance_type = "ecs.t5-lc1m1.small"
}

build {
  sources = ["source.alicloud-ecs.basic"]
}
