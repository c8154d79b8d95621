//! Which images of one input take part in a sharing analysis: every image
//! of a multi-image archive, in its listing order, with the `--image` and
//! `--platform` rules of the other commands.

use crate::archive::open::{OpenOptions, OpenedImage, open_chosen, select};
use crate::archive::source::ImageSource;
use crate::error::Result;
use crate::model::{ChoiceKind, ImageChoice, Warning};

/// Picks listing indexes from an input's listing.
///
/// - With a selector (`--image`), exactly the image the other commands
///   would open.
/// - Otherwise every image (attestations and artifacts are not images),
///   in listing order. Platform variants of one image — entries with the
///   same tags (or untagged) that carry platforms — count once: the
///   platform rule of the other commands picks one (`--platform`, else the
///   only one, else `linux/amd64`, else the input fails asking for one).
///   With `--platform`, images without a matching variant are left out;
///   an input where none matches fails.
pub fn choose_images(
    images: &[ImageChoice],
    options: &OpenOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<usize>> {
    if options.image.is_some() {
        return Ok(vec![select(images, options, warnings)?]);
    }
    let mut groups: Vec<(Option<&[String]>, Vec<ImageChoice>)> = Vec::new();
    for choice in images.iter().filter(|c| c.kind == ChoiceKind::Image) {
        // Untagged images without a platform are each their own image.
        let key = (!choice.tags.is_empty() || choice.platform.is_some())
            .then_some(choice.tags.as_slice());
        match groups.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
            Some((_, members)) => members.push(choice.clone()),
            None => groups.push((key, vec![choice.clone()])),
        }
    }
    if groups.is_empty() {
        // The other commands' error for an input without images.
        return Ok(vec![select(images, options, warnings)?]);
    }
    let mut chosen = Vec::with_capacity(groups.len());
    for (_, members) in &groups {
        let mut group_warnings = Vec::new();
        match select(members, options, &mut group_warnings) {
            Ok(index) => {
                warnings.extend(group_warnings);
                chosen.push(index);
            }
            // No variant for this platform: the image is left out.
            Err(crate::Error::NoSuchImage { .. }) if options.platform.is_some() => {}
            Err(error) => return Err(error),
        }
    }
    if chosen.is_empty() {
        // Nothing for this platform: the other commands' error.
        return Ok(vec![select(images, options, warnings)?]);
    }
    Ok(chosen)
}

/// Opens every image of one input that [`choose_images`] picks, in
/// listing order. The outer `Err` is an input that cannot be listed (or
/// whose listing the rules refuse); each image then opens or fails alone,
/// paired with its listing index.
pub fn open_input(
    source: &mut dyn ImageSource,
    options: &OpenOptions,
) -> Result<Vec<(usize, Result<OpenedImage>)>> {
    open_chosen(source, options, |images, warnings| {
        choose_images(images, options, warnings)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;

    fn choice(
        index: usize,
        tags: &[&str],
        platform: Option<&str>,
        kind: ChoiceKind,
    ) -> ImageChoice {
        ImageChoice {
            index,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            digest: Digest::parse(&format!("sha256:{:064x}", index + 1)).ok(),
            id: None,
            media_type: String::new(),
            platform: platform.map(str::to_owned),
            kind,
        }
    }

    fn pick(
        images: &[ImageChoice],
        image: Option<&str>,
        platform: Option<&str>,
    ) -> Result<Vec<usize>> {
        let options = OpenOptions {
            image: image.map(str::to_owned),
            platform: platform.map(str::to_owned),
            ..OpenOptions::default()
        };
        choose_images(images, &options, &mut Vec::new())
    }

    #[test]
    fn every_image_of_a_multi_image_archive_in_order() {
        let images = vec![
            choice(0, &["a:1"], None, ChoiceKind::Image),
            choice(1, &[], None, ChoiceKind::Image),
            choice(2, &[], None, ChoiceKind::Image),
            choice(3, &["b:1"], None, ChoiceKind::Image),
            choice(4, &[], Some("unknown/unknown"), ChoiceKind::Attestation),
        ];
        assert_eq!(pick(&images, None, None).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(pick(&images, Some("b:1"), None).unwrap(), vec![3]);
    }

    #[test]
    fn platform_variants_count_once() {
        let images = vec![
            choice(0, &["app:1"], Some("linux/arm64"), ChoiceKind::Image),
            choice(1, &["app:1"], Some("linux/amd64"), ChoiceKind::Image),
            choice(2, &["app:2"], Some("linux/arm64"), ChoiceKind::Image),
            choice(3, &["app:2"], Some("linux/amd64"), ChoiceKind::Image),
            choice(4, &["tool:1"], Some("linux/s390x"), ChoiceKind::Image),
        ];
        assert_eq!(pick(&images, None, None).unwrap(), vec![1, 3, 4]);
        assert_eq!(
            pick(&images, None, Some("linux/arm64")).unwrap(),
            vec![0, 2],
            "images without the platform are left out"
        );
        assert!(pick(&images, None, Some("windows/amd64")).is_err());
        let ambiguous = vec![
            choice(0, &[], Some("linux/arm64"), ChoiceKind::Image),
            choice(1, &[], Some("linux/s390x"), ChoiceKind::Image),
        ];
        assert!(matches!(
            pick(&ambiguous, None, None),
            Err(crate::Error::AmbiguousPlatform { .. })
        ));
    }

    #[test]
    fn no_image_is_the_usual_error() {
        let images = vec![choice(
            0,
            &[],
            Some("unknown/unknown"),
            ChoiceKind::Attestation,
        )];
        assert!(matches!(
            pick(&images, None, None),
            Err(crate::Error::NoImage { .. })
        ));
    }
}
