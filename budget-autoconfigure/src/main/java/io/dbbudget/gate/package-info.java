/**
 * The admission gate in front of each budgeted Hikari pool: callers beyond twice the pool's
 * size wait parked in front of it, in the order they came, instead of inside the pool.
 */
@NullMarked
package io.dbbudget.gate;

import org.jspecify.annotations.NullMarked;
