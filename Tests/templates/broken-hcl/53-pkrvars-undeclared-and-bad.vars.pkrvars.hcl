regoin = "cn-hangzhou"
size = var.x
