//! Guest inventory: what is installed in the guest (distribution, init system, bootloader
//! configs, kernels), gathered through `GuestFiles` only.
