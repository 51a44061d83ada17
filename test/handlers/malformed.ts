// Not a handler: no vcpuExit steps.
export default { name: 'malformed', designs: ['kvm-userfault'] };
