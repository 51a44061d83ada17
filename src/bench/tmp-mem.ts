import { productBytesPerState } from './product-memory.ts';
console.log(JSON.stringify(productBytesPerState()));
