//! The assembler the compiler emits into: dynasm-rs's vector assembler, except that
//! it can be emptied and used again, keeping its buffers (the compiler keeps one per
//! thread: writing fresh memory costs a page fault per 4 KiB page, and the allocator
//! gives the pages back on free; that was over half of compiling a program). Only
//! dynamic labels and relative jumps, all the compiler uses.

use dynasmrt::components::{LabelRegistry, PatchLoc, RelocRegistry};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{AssemblyOffset, DynamicLabel, DynasmApi, DynasmError, DynasmLabelApi};

pub struct Assembler {
    ops: Vec<u8>,
    labels: LabelRegistry,
    relocs: RelocRegistry<X64Relocation>,
    error: Option<DynasmError>,
}

impl Default for Assembler {
    fn default() -> Assembler {
        Assembler { ops: Vec::new(), labels: LabelRegistry::new(), relocs: RelocRegistry::new(), error: None }
    }
}

impl Assembler {
    /// Empties the assembler, keeping its buffers, with room for `bytes` of code.
    pub fn reset(&mut self, bytes: usize) {
        self.ops.clear();
        self.ops.reserve(bytes);
        self.labels.clear();
        // Normally empty already: `commit` takes them.
        self.relocs.take_dynamics().for_each(drop);
        self.error = None;
    }

    /// Bytes of code it has room for.
    pub fn capacity(&self) -> usize {
        self.ops.capacity()
    }

    pub fn new_dynamic_label(&mut self) -> DynamicLabel {
        self.labels.new_dynamic_label()
    }

    pub fn labels(&self) -> &LabelRegistry {
        &self.labels
    }

    /// Patches every jump to its label; the code is then `code()`.
    pub fn commit(&mut self) -> Result<(), DynasmError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for (loc, id) in self.relocs.take_dynamics() {
            let target = self.labels.resolve_dynamic(id)?;
            let buf = &mut self.ops[loc.range(0)];
            loc.patch(buf, 0, target.0).map_err(|_| DynasmError::ImpossibleRelocation(dynasmrt::TargetKind::Dynamic(id)))?;
        }
        Ok(())
    }

    pub fn code(&self) -> &[u8] {
        &self.ops
    }
}

impl Extend<u8> for Assembler {
    fn extend<T: IntoIterator<Item = u8>>(&mut self, iter: T) {
        self.ops.extend(iter)
    }
}

impl<'a> Extend<&'a u8> for Assembler {
    fn extend<T: IntoIterator<Item = &'a u8>>(&mut self, iter: T) {
        self.ops.extend(iter)
    }
}

impl DynasmApi for Assembler {
    fn offset(&self) -> AssemblyOffset {
        AssemblyOffset(self.ops.len())
    }
    fn push(&mut self, byte: u8) {
        self.ops.push(byte);
    }
    fn align(&mut self, alignment: usize, with: u8) {
        let pad = (alignment - self.ops.len() % alignment) % alignment;
        self.ops.extend(std::iter::repeat_n(with, pad));
    }
}

impl DynasmLabelApi for Assembler {
    type Relocation = X64Relocation;

    fn local_label(&mut self, _: &'static str) {
        self.unsupported();
    }
    fn global_label(&mut self, _: &'static str) {
        self.unsupported();
    }
    fn dynamic_label(&mut self, id: DynamicLabel) {
        if let Err(e) = self.labels.define_dynamic(id, self.offset()) {
            self.error = Some(e);
        }
    }
    fn forward_relocation(&mut self, _: &'static str, _: isize, _: u8, _: u8, _: X64Relocation) {
        self.unsupported();
    }
    fn backward_relocation(&mut self, _: &'static str, _: isize, _: u8, _: u8, _: X64Relocation) {
        self.unsupported();
    }
    fn global_relocation(&mut self, _: &'static str, _: isize, _: u8, _: u8, _: X64Relocation) {
        self.unsupported();
    }
    fn dynamic_relocation(&mut self, id: DynamicLabel, target_offset: isize, field_offset: u8, ref_offset: u8, kind: X64Relocation) {
        let loc = PatchLoc::new(self.offset(), target_offset, field_offset, ref_offset, kind);
        self.relocs.add_dynamic(id, loc);
    }
    fn value_relocation(&mut self, _: usize, _: u8, _: u8, _: X64Relocation) {
        self.unsupported();
    }
}

impl Assembler {
    fn unsupported(&mut self) {
        self.error = Some(DynasmError::UnknownLabel(dynasmrt::LabelKind::Global("named labels are not supported")));
    }
}
