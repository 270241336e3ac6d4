locals {
  script = <<EOF
echo hi
}
