/**
 * The fleet: the instances that share one server's budget find each other, publish their
 * state and take turns to resize, through PostgreSQL's advisory locks and {@code NOTIFY} or
 * MySQL's and MariaDB's named locks. Membership, the wire format of a member's state, and the
 * shares that follow from the members' demands.
 */
@NullMarked
package io.dbbudget.fleet;

import org.jspecify.annotations.NullMarked;
