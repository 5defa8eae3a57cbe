//! Named column offsets. `columns! { PC, RS1_VAL[4], .. }` defines one `usize`
//! constant per column (arrays take consecutive columns) and `WIDTH`;
//! `columns!(@acc START; ..)` starts at another offset.

macro_rules! columns {
    (@acc $off:expr; ) => {
        pub const WIDTH: usize = $off;
    };
    (@acc $off:expr; $name:ident [$n:expr] $(, $($rest:tt)*)?) => {
        pub const $name: usize = $off;
        columns!(@acc $off + $n; $($($rest)*)?);
    };
    (@acc $off:expr; $name:ident $(, $($rest:tt)*)?) => {
        pub const $name: usize = $off;
        columns!(@acc $off + 1; $($($rest)*)?);
    };
    ($($body:tt)*) => { columns!(@acc 0usize; $($body)*); };
}

pub(crate) use columns;
