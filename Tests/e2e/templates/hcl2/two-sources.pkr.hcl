# Two builds from one source block (a build-level source block each, with its own name and
# image name), data disks from a dynamic block, and a post-processor chain.
variable "data_disks" {
  type        = list(number)
  default     = [20, 30]
  description = "The size of each data disk, in GiB."
}

variable "manifest" {
  type = string
}

locals {
  image_names = { for n in ["a", "b"] : n => "hcl_${n}" }
}

source "alicloud-ecs" "base" {
  region               = "cn-beijing"
  source_image         = "centos_7_03_64_20G_alibase_20170818.vhd"
  instance_type        = "ecs.t5-lc1m1.small"
  internet_charge_type = "PayByTraffic"
  ssh_username         = "root"

  dynamic "image_disk_mappings" {
    for_each = var.data_disks
    iterator = disk
    content {
      disk_name     = "data${disk.key}"
      disk_size     = disk.value
      disk_category = "cloud_efficiency"
    }
  }
}

build {
  name = "hcl"

  source "source.alicloud-ecs.base" {
    name       = "a"
    image_name = local.image_names["a"]
  }
  source "source.alicloud-ecs.base" {
    name       = "b"
    image_name = local.image_names.b
  }

  provisioner "shell" {
    inline = ["echo ${source.name} > /root/built-by-${source.name}"]
  }

  post-processors {
    post-processor "manifest" {
      output = var.manifest
    }
    post-processor "shell-local" {
      inline = ["echo chained after the manifest of ${source.name}"]
    }
  }
}
